"""Optional extras: a missing one is named (``pip install "rapgym[...]"``), and core paths never need one.

A missing package is simulated with ``sys.modules[name] = None`` (``import name`` then raises ImportError), and
the rapgym modules that import it are dropped from ``sys.modules`` so they import anew (monkeypatch restores all).
"""

from __future__ import annotations

import importlib
import re
import sys

import pytest

import rapgym
from rapgym.errors import MissingDependencyError
from tests.helpers import REPO


def _forget(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        monkeypatch.delitem(sys.modules, name)


def _block(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make ``import package`` and ``import package.sub`` fail, even for submodules imported before."""
    for name in [m for m in sys.modules if m.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


@pytest.fixture
def isolated_resolvers(monkeypatch: pytest.MonkeyPatch):
    """``--agents`` registers the saved-agent resolver once per process: register it into a throw-away list and
    forget the registration afterwards, so later tests see the process as it was."""
    from rapgym.evaluation import runner

    monkeypatch.setattr(runner, "_RESOLVERS", list(runner._RESOLVERS))
    saved_agents = importlib.import_module("rapgym.learning.saved_agents")
    saved_agents.register_saved_agents.cache_clear()
    yield
    saved_agents.register_saved_agents.cache_clear()


def test_version_is_defined_once_and_read_by_the_build():
    text = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'version = { attr = "rapgym.__version__" }' in text
    assert "\nversion = " not in text.split("[tool.setuptools.dynamic]")[0]
    assert 'license = "MIT"' in text and 'license-files = ["LICENSE"]' in text
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert re.fullmatch(r"\d+\.\d+\.\d+", rapgym.__version__)


def test_evaluate_without_plots_needs_no_matplotlib(monkeypatch, tmp_path, capsys):
    _block(monkeypatch, "matplotlib")
    from rapgym.cli import evaluate

    rc = evaluate.main(["--policies", "rap", "--seeds", "0", "--num-users", "2", "--episode-slots", "5", "--out", str(tmp_path)])
    assert rc == 0 and (tmp_path / "comparison.csv").exists()


@pytest.mark.parametrize("missing", ["torch", "stable_baselines3"])
def test_train_entry_point_names_the_train_extra(monkeypatch, capsys, missing):
    _block(monkeypatch, missing)
    from rapgym.cli import train

    with pytest.raises(SystemExit) as exit_info:
        train.main(["--algo", "ppo", "--timesteps", "64"])
    assert exit_info.value.code == 2
    assert f'({missing} is missing): pip install "rapgym[train]"' in capsys.readouterr().err


def test_evaluate_agents_names_the_train_extra(monkeypatch, tmp_path, capsys, isolated_resolvers):
    agent = tmp_path / "agent.zip"
    agent.write_bytes(b"not read: the extra is checked first")
    _block(monkeypatch, "stable_baselines3")
    _forget(monkeypatch, "rapgym.learning")
    from rapgym.cli import evaluate

    rc = evaluate.main(["--agents", f"{agent}:ppo", "--policies", "rap", "--seeds", "0", "--num-users", "2",
                        "--episode-slots", "5"])
    assert rc == 2 and 'pip install "rapgym[train]"' in capsys.readouterr().out.replace("\n", "")


@pytest.mark.parametrize(("module", "missing", "extra"), [
    ("rapgym.learning.callbacks", "stable_baselines3", "train"),
    ("rapgym.profiler", "torch", "profile"),
    ("rapgym.runtime", "torch", "runtime"),
    ("rapgym.envs.multi_user_end_cloud_v0", "pettingzoo", "marl"),
])
def test_optional_modules_name_their_extra(monkeypatch, module, missing, extra):
    _block(monkeypatch, missing)
    _forget(monkeypatch, module)
    with pytest.raises(MissingDependencyError, match=rf'pip install "rapgym\[{extra}\]"') as err:
        importlib.import_module(module)
    assert isinstance(err.value, ImportError)


def test_evaluate_agents_without_plots_needs_no_matplotlib(monkeypatch, tmp_path, isolated_resolvers):
    sb3 = pytest.importorskip("stable_baselines3", reason="saved agents need the train extra")
    from rapgym.envs.wrappers import make_flat_env

    agent = tmp_path / "agent.zip"
    sb3.PPO("MlpPolicy", make_flat_env(num_users=2), n_steps=16, batch_size=16, policy_kwargs={"net_arch": [8]}).save(agent)
    _block(monkeypatch, "matplotlib")
    from rapgym.cli import evaluate
    rc = evaluate.main(["--agents", f"{agent}:ppo", "--policies", "rap", "--seeds", "0", "--num-users", "2",
                        "--episode-slots", "5", "--out", str(tmp_path / "out")])
    assert rc == 0 and (tmp_path / "out" / "comparison.csv").exists()
