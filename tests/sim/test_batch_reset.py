"""``SimulatorBatch.reset_copies`` (many copies drawn in one compiled call) equals ``reset_copy`` copy by copy, bit
for bit: the batch rows, each copy's simulator, the generators' states, and the slots stepped afterwards."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.sim.batch import SimulatorBatch

M = 4


def rngs(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(seed + m) for m in range(M)]


def random_action(batch: SimulatorBatch, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    n, kmax1 = batch.config.num_users, batch.model.table.shape[1]
    return (rng.integers(0, kmax1, (M, n)), rng.integers(0, len(batch.config.bits), (M, n)), rng.random((M, n)),
            rng.random((M, n)))


def reset_both(batched: SimulatorBatch, alone: SimulatorBatch, rows: list[int], ours: list[np.random.Generator],
               theirs: list[np.random.Generator]) -> None:
    """Reset copies ``rows``: of ``batched`` in one ``reset_copies`` call, of ``alone`` one ``reset_copy`` at a time."""
    batched.reset_copies(np.array(rows, dtype=np.int64), [ours[m] for m in rows])
    for m in rows:
        alone.reset_copy(m, theirs[m])


def assert_copies_equal(a: SimulatorBatch, b: SimulatorBatch) -> None:
    """Every copy's episode, queues, slot and simulator view alike (the padding of the rows may differ)."""
    np.testing.assert_array_equal(a.slots, b.slots)
    np.testing.assert_array_equal(a.slot_rate_mbps, b.slot_rate_mbps)
    np.testing.assert_array_equal(a.backlog, b.backlog)
    for m in range(M):
        sa, sb = a.simulator(m), b.simulator(m)
        for x, y in zip((*sa.draw, *sa.queues), (*sb.draw, *sb.queues), strict=True):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(sa.task_user, sb.task_user)
        np.testing.assert_array_equal(sa.slot_rate_mbps, sb.slot_rate_mbps)
        assert sa.slot == sb.slot
        for ta, tb in zip(sa.traces, sb.traces, strict=True):
            np.testing.assert_array_equal(ta.edges, tb.edges)
            np.testing.assert_array_equal(ta.rates_mbps, tb.rates_mbps)
            assert ta.name == tb.name


@pytest.mark.parametrize(("scenario", "overrides"), [
    ("default", {}),
    ("default", {"arrival": "poisson", "num_users": 5}),
    ("stable-wifi", {"num_users": 3}),
    ("shared-cell", {"num_users": 4}),
    ("default", {"num_users": 2, "episode_slots": 7, "history": 3}),
])
def test_batched_reset_equals_reset_copy_across_episodes(scenario, overrides):
    cfg = load_scenario(scenario, **{"episode_slots": 12, **overrides})
    batched, alone = SimulatorBatch(cfg, M), SimulatorBatch(cfg, M)
    ours, theirs = rngs(3), rngs(3)
    reset_both(batched, alone, list(range(M)), ours, theirs)
    assert_copies_equal(batched, alone)
    act = np.random.default_rng(0)
    for step in range(2 * cfg.episode_slots):
        action = random_action(batched, act)
        active = np.ones(M, dtype=np.bool_)
        batched.step(active, *action)
        alone.step(active, *action)
        np.testing.assert_array_equal(batched.stats, alone.stats)
        if step % 5 == 4:  # some copies start over mid-episode, in one call or one by one
            reset_both(batched, alone, [0, 2] if step % 2 else [1, 2, 3], ours, theirs)
        assert_copies_equal(batched, alone)
    assert [g.bit_generator.state for g in ours] == [g.bit_generator.state for g in theirs]


def test_a_new_generator_for_a_copy_is_used():
    """A copy's generator replaced (a seeded reset) is the one drawn from; the others keep theirs."""
    cfg = load_scenario("default", num_users=3, episode_slots=5)
    batched, alone = SimulatorBatch(cfg, M), SimulatorBatch(cfg, M)
    ours, theirs = rngs(0), rngs(0)
    reset_both(batched, alone, list(range(M)), ours, theirs)
    ours[1], theirs[1] = np.random.default_rng(99), np.random.default_rng(99)
    reset_both(batched, alone, [1, 3], ours, theirs)
    assert_copies_equal(batched, alone)


def test_an_adopted_episode_is_kept_when_the_rows_are_drawn_again():
    cfg = load_scenario("default", num_users=3, episode_slots=5)
    batch = SimulatorBatch(cfg, M)
    gens = rngs(1)
    batch.reset_copies(np.arange(M), gens)
    sim = batch.simulator(2)
    rates, traces = sim.slot_rate_mbps, sim.traces
    held = rates.copy(), [t.rates_mbps.copy() for t in traces]
    batch.reset_copies(np.arange(M), gens)
    np.testing.assert_array_equal(rates, held[0])
    for trace, kept in zip(traces, held[1], strict=True):
        np.testing.assert_array_equal(trace.rates_mbps, kept)
    assert not np.array_equal(batch.simulator(2).slot_rate_mbps, held[0])


def test_a_source_drawn_in_python_resets_copy_by_copy():
    """A calibrated source has no compiled draw: ``reset_copies`` is ``reset_copy`` of each row."""
    cfg = load_scenario("lte-uplink", num_users=2, episode_slots=6)
    batched, alone = SimulatorBatch(cfg, M), SimulatorBatch(cfg, M)
    ours, theirs = rngs(5), rngs(5)
    reset_both(batched, alone, list(range(M)), ours, theirs)
    assert_copies_equal(batched, alone)
