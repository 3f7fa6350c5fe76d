"""Calibrated generators: statistics of long series with fixed seeds against the real sets."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import TraceError
from rapgym.traces.generators import generate, load_params
from rapgym.traces.loaders import load_gnettrack
from rapgym.traces.sets import TRACE_SETS, real_set
from rapgym.traces.stats import set_stats, within_tolerance
from tests.helpers import shared_data_dir

DURATION_S = 300_000.0
SEED = 2024


def assert_close(real: dict[str, float], synth: dict[str, float], name: str) -> None:
    ok = within_tolerance(real, synth)
    assert all(ok.values()), f"{name}: {ok} real={real} synthetic={synth}"


@pytest.fixture(scope="module")
def synthetic() -> dict[str, dict[str, float]]:
    return {name: set_stats([generate(name, np.random.default_rng(SEED), DURATION_S).rates_mbps]) for name in TRACE_SETS}


@pytest.mark.parametrize("name", TRACE_SETS)
def test_generator_matches_real_set(name, synthetic):
    traces_dir = shared_data_dir("traces")
    assert_close(set_stats([t.rates_mbps for t in real_set(name, traces_dir).traces()]), synthetic[name], name)


@pytest.mark.parametrize("name", TRACE_SETS)
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
    with pytest.raises(TraceError, match="calibrated set 'wifi' unknown; allowed"):
        generate("wifi", np.random.default_rng(0), 10.0)
    with pytest.raises(ValueError, match="must be > 0"):
        generate("irish_5g", np.random.default_rng(0), 0.0)
