"""``rapgym-tune``: the search space, the YAML update that keeps comments, bad arguments, and a 2-trial Ray Tune search.

The search needs the optional ``tune`` extra: without it the search test is skipped, unless
``RAPGYM_REQUIRE_TUNE=1`` (CI, which installs the extra), where it fails.
"""

from __future__ import annotations

import os
import sys
from importlib import resources

import pytest
import yaml

from rapgym.cli.tune import main
from rapgym.configs.hyperparams import load_hyperparams
from rapgym.errors import HyperparamsError, MissingDependencyError
from rapgym.learning.tune import require_tune_extra, starting_point, update_entry
from rapgym.learning.tune_space import SPACES, Dimension, from_ray_sample, nest, resolve_config, search_space, to_ray_value

FILE = """\
# header comment
# Keys: see hyperparams.py
default:
  n_envs: 4
  policy_kwargs: {net_arch: [128, 128], activation_fn: tanh}
  learning_rate: 3.0e-4  # the YAML's own comment
  gamma: 0.9

# unstable-lte: longer horizon
unstable-lte:
  gamma: 0.95
"""


def _require_tune() -> None:
    try:
        require_tune_extra()
    except MissingDependencyError as exc:
        if os.environ.get("RAPGYM_REQUIRE_TUNE") == "1":
            pytest.fail(f"{exc} (RAPGYM_REQUIRE_TUNE=1)")
        pytest.skip(str(exc))


def test_update_entry_sets_existing_and_new_keys_and_keeps_comments():
    config = {"learning_rate": 0.000126, "policy_kwargs.net_arch": [64, 64], "n_steps": 64}
    out = update_entry(FILE, "default", config, "rapgym-tune --algo ppo (2026-01-02)")
    assert out == """\
# header comment
# Keys: see hyperparams.py
# rapgym-tune: rapgym-tune --algo ppo (2026-01-02)
default:
  n_envs: 4
  policy_kwargs: {net_arch: [64, 64], activation_fn: tanh}
  learning_rate: 0.000126  # the YAML's own comment
  gamma: 0.9
  n_steps: 64

# unstable-lte: longer horizon
unstable-lte:
  gamma: 0.95
"""
    again = update_entry(out, "default", {"n_steps": 128}, "second")
    assert "# rapgym-tune: second\ndefault:\n" in again and "rapgym-tune --algo ppo" not in again


def test_update_entry_appends_a_missing_entry_and_updates_a_scenario_entry():
    out = update_entry(FILE, "lte-commute", {"gamma": 0.8, "policy_kwargs.net_arch": [64, 64]}, "c")
    assert out == FILE + "# rapgym-tune: c\nlte-commute:\n  gamma: 0.8\n  policy_kwargs: {net_arch: [64, 64]}\n"
    out = update_entry(FILE, "unstable-lte", {"gamma": 0.99}, "c")
    assert out.endswith("# unstable-lte: longer horizon\n# rapgym-tune: c\nunstable-lte:\n  gamma: 0.99\n")


def test_update_entry_replaces_a_block_style_nested_value():
    text = "default:\n  policy_kwargs:\n    net_arch: [128, 128]\n    activation_fn: relu\n  gamma: 0.9\n"
    out = update_entry(text, "default", {"policy_kwargs.net_arch": [256, 256]}, "c")
    assert out == "# rapgym-tune: c\ndefault:\n  policy_kwargs: {net_arch: [256, 256], activation_fn: relu}\n  gamma: 0.9\n"


def test_packaged_yaml_updates_to_valid_hyperparameters():
    """Every algorithm's whole space, one value per key, written into the packaged file, reads back validated."""
    for algo in SPACES:
        space = search_space(algo)
        sample = resolve_config(space, {k: d.values[-1] if d.kind == "choice" else d.high for k, d in space.items()})
        text = (resources.files("rapgym.configs") / "hyperparams" / f"{algo}.yml").read_text()
        out = update_entry(text, "unstable-lte", sample, "c")
        comments = [line for line in text.splitlines() if line.startswith("#")]
        # every comment kept (an earlier search's `# rapgym-tune:` line too), this search's one added
        assert [line for line in out.splitlines() if line.startswith("#") and line != "# rapgym-tune: c"] == comments
        assert out.count("# rapgym-tune: c\n") == 1
        hp = load_hyperparams(algo, "unstable-lte", entries=yaml.safe_load(out)).model_dump()
        for key, value in nest(sample).items():
            assert hp[key] == ({**hp[key], **value} if isinstance(value, dict) else value), (algo, key)


def test_search_space_rejects_unknown_keys_naming_the_allowed_ones():
    with pytest.raises(HyperparamsError, match=r"search-space key 'buffer_size' unknown for ppo; allowed: learning_rate, "):
        search_space("ppo", ["learning_rate", "buffer_size"])
    with pytest.raises(HyperparamsError, match=r"algo 'a2c' unknown; allowed: ppo, sac, hybrid"):
        search_space("a2c")
    assert list(search_space("sac", ["tau"])) == ["tau"]


def test_starting_point_reads_the_searched_keys_of_the_entry_even_outside_their_dimension():
    base = load_hyperparams("ppo", "default", {"policy_kwargs": {"network": "set", "net_arch": [96]}, "normalize_obs": False}).model_dump(mode="json")
    space = search_space("ppo", ["learning_rate", "gamma", "policy_kwargs.net_arch", "policy_kwargs.network"])
    assert starting_point(space, base) == {"learning_rate": base["learning_rate"], "gamma": base["gamma"],
                                           "policy_kwargs.net_arch": [96], "policy_kwargs.network": "set"}


def test_list_values_travel_to_ray_as_json_text_and_come_back():
    space = search_space("ppo", ["policy_kwargs.net_arch", "gamma", "policy_kwargs.network"])
    sample = {"policy_kwargs.net_arch": [64, 64], "gamma": 0.9, "policy_kwargs.network": "set"}
    carried = {key: to_ray_value(value) for key, value in sample.items()}
    assert carried["policy_kwargs.net_arch"] == "[64, 64]" and carried["gamma"] == 0.9
    assert from_ray_sample(space, {**carried, "unsearched": 1}) == sample


def test_resolve_config_rounds_range_draws_only():
    space = {"learning_rate": Dimension("loguniform", 1e-5, 1e-3), "gamma": Dimension("choice", values=(0.912345,))}
    assert resolve_config(space, {"learning_rate": 0.00012345678, "gamma": 0.912345}) == {"learning_rate": 0.000123,
                                                                                          "gamma": 0.912345}


@pytest.mark.parametrize(("args", "message"), [
    (["--algo", "a2c"], "argument --algo: invalid choice: 'a2c'"),
    (["--scenario", "moon"], "argument --scenario: invalid choice: 'moon'"),
    (["--trials", "0"], "argument --trials: must be a positive integer, got 0"),
    (["--space", "learning_rate", "tau"], "search-space key 'tau' unknown for ppo; allowed: learning_rate"),
    (["--hyperparams", "n_envs=0"], "key 'n_envs': Input should be greater than or equal to 1"),
    (["--hyperparams", "bogus=1"], "unknown key 'bogus'; allowed keys:"),
    (["--grace-steps", "500"], "grace_steps must be in [1, timesteps = 100], got 500"),
    (["--grace-steps", "0"], "argument --grace-steps: must be a positive integer, got 0"),
])
def test_cli_bad_arguments_exit_2_with_the_field(args, message, capsys):
    argv = ["--algo", "ppo", "--timesteps", "100", *args]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_extra_names_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    with pytest.raises(MissingDependencyError, match=r'rapgym\[tune\]'):
        require_tune_extra()
    with pytest.raises(SystemExit) as exc:
        main(["--algo", "ppo", "--timesteps", "100"])
    assert exc.value.code == 2 and 'pip install "rapgym[tune]"' in capsys.readouterr().err


def test_two_trial_search_reports_and_writes_a_copy_of_the_yaml(tmp_path, capsys):
    _require_tune()
    packaged = (resources.files("rapgym.configs") / "hyperparams" / "ppo.yml").read_text()
    copy = tmp_path / "ppo.yml"
    copy.write_text(packaged)
    argv = ["--algo", "ppo", "--scenario", "unstable-lte", "--trials", "2", "--timesteps", "256", "--num-cpus", "2",
            "--space", "learning_rate", "policy_kwargs.net_arch",
            "--hyperparams", "n_envs=2", "n_steps=64", "batch_size=64", "n_epochs=1", "eval_freq=128", "eval_episodes=1",
            "env_kwargs.episode_slots=10",
            "--out", str(tmp_path / "tune"), "--yaml", str(copy), "--write", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("reward per slot")]
    assert len(rows) == 2 and all("reports)" in row and "(0 reports)" not in row for row in rows)
    # trial 0 is the YAML's own configuration (learning rate 3e-4, two layers of 128), marked in the listing
    starting = [row for row in rows if row.endswith("(the YAML's configuration)")]
    assert len(starting) == 1 and "'learning_rate': 0.0003" in starting[0] and "[128, 128]" in starting[0]
    assert "steps (2 in all): held-out reward per slot" in out and "# best of the " in out
    best = yaml.safe_load(out[out.index("unstable-lte:"):out.index("wrote the entry")])["unstable-lte"]
    assert set(best) == {"learning_rate", "policy_kwargs"} and best["policy_kwargs"]["net_arch"] in ([64, 64], [128, 128], [256, 256])
    assert 3e-5 <= best["learning_rate"] <= 1e-3
    written = copy.read_text()
    assert written.startswith(packaged + f"# rapgym-tune: rapgym-tune {' '.join(argv)} (")
    entries = yaml.safe_load(written)
    assert entries["unstable-lte"] == best and entries["default"] == yaml.safe_load(packaged)["default"]
