"""Calibrated generators: statistics of long series with fixed seeds against the real sets."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.traces.calibrated import CALIBRATED_SETS, generate, load_params
from rapgym.traces.loaders import load_gnettrack, real_set
from tests.helpers import shared_data_dir

DURATION_S = 300_000.0
SEED = 2024


def stats(series: list[np.ndarray]) -> dict[str, float]:
    """mean, p5, p95 over all samples; lag-1 autocorrelation of within-series pairs around the pooled mean."""
    pooled = np.concatenate(series)
    centred = [s - pooled.mean() for s in series]
    acf = sum(np.dot(c[1:], c[:-1]) for c in centred) / sum(c.size - 1 for c in centred) / pooled.var()
    p5, p95 = np.percentile(pooled, [5, 95])
    return {"mean": pooled.mean(), "p5": p5, "p95": p95, "acf1": acf}


def assert_close(real: dict[str, float], synth: dict[str, float], name: str) -> None:
    assert synth["mean"] == pytest.approx(real["mean"], rel=0.1), name
    assert synth["p95"] == pytest.approx(real["p95"], rel=0.1), name
    # p5: 10 % of itself, or 1 % of the mean when p5 is under a tenth of the mean (sets with outages)
    assert abs(synth["p5"] - real["p5"]) <= 0.1 * max(real["p5"], 0.1 * real["mean"]), name
    assert abs(synth["acf1"] - real["acf1"]) <= 0.1, name


@pytest.fixture(scope="module")
def synthetic() -> dict[str, dict[str, float]]:
    return {name: stats([generate(name, np.random.default_rng(SEED), DURATION_S).rates_mbps]) for name in CALIBRATED_SETS}


@pytest.mark.parametrize("name", CALIBRATED_SETS)
def test_generator_matches_real_set(name, synthetic):
    traces_dir = shared_data_dir("traces")
    assert_close(stats([t.rates_mbps for t in real_set(name, traces_dir).traces()]), synthetic[name], name)


@pytest.mark.parametrize("name", CALIBRATED_SETS)
def test_generator_matches_stored_fit_targets(name, synthetic):
    assert_close(load_params(name)["real_stats"], synthetic[name], name)


# README table values (mean, p5, p95) for the sets the README summarises as a whole
README = {"norway_hsdpa_3g": (1.67, 0.48, 3.74), "nyu_mets_lte": (7.58, 0.09, 20.5), "lumos5g_4g": (40.4, 3, 110), "lumos5g_5g": (522.8, 8, 1390), "irish_5g": (45.0, 0.0, 213.0)}


@pytest.mark.parametrize("name", sorted(README))
def test_generator_matches_readme_table(name, synthetic):
    mean, p5, p95 = README[name]
    synth = synthetic[name]
    assert synth["mean"] == pytest.approx(mean, rel=0.1)
    assert synth["p95"] == pytest.approx(p95, rel=0.1)
    assert abs(synth["p5"] - p5) <= 0.1 * max(p5, 0.1 * mean)


def test_irish_regimes_have_the_real_per_mode_levels():
    params = load_params("irish_5g")
    assert params["regimes"] == ["5G", "LTE", "HSPA"]
    # median of non-zero samples per regime orders 5G > LTE > HSPA as in the README per-mode medians
    medians = [np.interp(0.5, params["quantile_levels"], q) for q in params["quantiles"]]
    assert medians[0] > medians[1] > medians[2] > 0
    root = shared_data_dir("traces", "irish_5g_ucc", "Download")
    modes = np.concatenate([load_gnettrack(p).network_mode for p in sorted(root.glob("*/*.csv"))])
    assert params["initial"][0] == pytest.approx(np.mean(modes == "5G"), abs=0.01)


def test_generate_shape_determinism_and_interval():
    a = generate("nyu_mets_lte", np.random.default_rng(7), 100.0)
    b = generate("nyu_mets_lte", np.random.default_rng(7), 100.0)
    np.testing.assert_array_equal(a.rates_mbps, b.rates_mbps)
    assert a.period_s == 100.0 and a.rates_mbps.size == 100 and a.name == "calibrated:nyu_mets_lte"
    half = generate("norway_hsdpa_3g", np.random.default_rng(1), 200_000.0, interval_s=0.5)
    assert half.rates_mbps.size == 400_000
    assert half.mean_mbps == pytest.approx(load_params("norway_hsdpa_3g")["real_stats"]["mean"], rel=0.1)
    assert np.corrcoef(half.rates_mbps[2:], half.rates_mbps[:-2])[0, 1] == pytest.approx(load_params("norway_hsdpa_3g")["real_stats"]["acf1"], abs=0.1)


def test_unknown_set_and_bad_duration():
    with pytest.raises(ValueError, match="calibrated set 'wifi' unknown; allowed"):
        generate("wifi", np.random.default_rng(0), 10.0)
    with pytest.raises(ValueError, match="must be > 0"):
        generate("irish_5g", np.random.default_rng(0), 0.0)
