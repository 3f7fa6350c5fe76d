"""Simulator.step takes the compiled entry point for 1-D int64 / float64 actions of any strides (contiguous, strided,
read-only, unaligned) and the dispatcher for any other dtype: every layout must give the same slot, and a bad entry
the same ActionError either way."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.configs.scenario import ScenarioConfig
from rapgym.errors import ActionError
from rapgym.sim.simulator import Simulator

SLOTS = 30


def _actions(n: int, kmax1: int, nb: int) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(5)

    def shares() -> np.ndarray:  # float32-exact, so a float32 copy holds the same values
        return rng.random(n).astype(np.float32).astype(np.float64)

    return [(rng.integers(0, kmax1, n), rng.integers(0, nb, n), shares(), shares()) for _ in range(SLOTS)]


def _strided(a: np.ndarray) -> np.ndarray:
    """``a``'s values in a non-contiguous, read-only view (every other element of a larger array)."""
    wide = np.zeros(2 * a.shape[0], dtype=a.dtype)
    wide[::2] = a
    view = wide[::2]
    view.flags.writeable = False
    return view


def _unaligned(a: np.ndarray) -> np.ndarray:
    """``a``'s values in an array whose data starts one byte into its buffer (not aligned to its dtype)."""
    view = np.frombuffer(bytearray(a.nbytes + 1), dtype=a.dtype, count=a.size, offset=1)
    view[:] = a
    assert not view.flags.aligned
    return view


def _run(layout, shared_uplink: bool) -> tuple[list[tuple[float, ...]], np.ndarray, np.ndarray]:
    sim = Simulator(ScenarioConfig(num_users=4, episode_slots=SLOTS, shared_uplink=shared_uplink))
    sim.reset(np.random.default_rng(11))
    stats = [tuple(sim.step(*map(layout, action))) for action in _actions(4, sim.features.shape[1], len(sim.bits))]
    return stats, sim.task_latency.copy(), sim.backlog.copy()


@pytest.mark.parametrize("shared_uplink", [False, True])
@pytest.mark.parametrize("layout", [_strided, _unaligned, lambda a: a.astype(np.int32 if a.dtype.kind == "i" else np.float32)],
                         ids=["strided-readonly", "unaligned", "narrow-dtypes"])
def test_other_layouts_step_like_contiguous_arrays(layout, shared_uplink):
    stats, latency, backlog = _run(np.ascontiguousarray, shared_uplink)
    other_stats, other_latency, other_backlog = _run(layout, shared_uplink)
    assert stats == other_stats
    assert np.array_equal(latency, other_latency) and np.array_equal(backlog, other_backlog)
    assert any(s[0] > 0 for s in stats)  # the slots dispatched tasks


@pytest.mark.parametrize("layout", [np.ascontiguousarray, _strided, _unaligned], ids=["contiguous", "strided-readonly", "unaligned"])
def test_bad_split_is_an_action_error_on_either_path(layout):
    sim = Simulator(ScenarioConfig(num_users=2, episode_slots=5))
    sim.reset(np.random.default_rng(0))
    with pytest.raises(ActionError, match="split"):
        sim.step(layout(np.array([0, 99])), layout(np.zeros(2, dtype=np.int64)), layout(np.ones(2)), layout(np.ones(2)))
    assert sim.slot == 0
