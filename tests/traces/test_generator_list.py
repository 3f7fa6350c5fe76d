"""``GeneratorList``: compiled code draws from the very generators given (their states advance in step), a slot
given another generator draws from that one, and a pickled list comes back empty and refills."""

from __future__ import annotations

import pickle

import numpy as np
from numba import njit

from rapgym.configs.scenario import load_scenario
from rapgym.sim.simulator import Simulator
from rapgym.traces.generators import GeneratorList


@njit(cache=True)
def _uniforms(rngs, slot, n):
    out = np.empty(n)
    for j in range(n):
        out[j] = rngs[slot].random()
    return out


def test_slots_draw_from_their_generators():
    gens = GeneratorList(3)
    a, b = np.random.default_rng(1), np.random.default_rng(2)
    ref_a, ref_b = np.random.default_rng(1), np.random.default_rng(2)
    listed = gens.filled([0, 2], [a, b])
    np.testing.assert_array_equal(_uniforms(listed, 0, 4), ref_a.random(4))
    np.testing.assert_array_equal(_uniforms(listed, 2, 3), ref_b.random(3))
    assert a.random() == ref_a.random()  # the Python object's state moved with the compiled draws
    c, ref_c = np.random.default_rng(3), np.random.default_rng(3)
    listed = gens.filled([0], [c])
    np.testing.assert_array_equal(_uniforms(listed, 0, 2), ref_c.random(2))
    clone = pickle.loads(pickle.dumps(gens))
    np.testing.assert_array_equal(_uniforms(clone.filled([1], [b]), 1, 2), ref_b.random(2))


def test_a_simulator_reset_draws_from_each_new_generator():
    """Seeded resets hand the simulator new generator objects; each reset equals a fresh simulator's."""
    cfg = load_scenario("default", num_users=3, episode_slots=5)
    sim = Simulator(cfg)
    for seed in (4, 5, 4):
        sim.reset(np.random.default_rng(seed))
        fresh = Simulator(cfg)
        fresh.reset(np.random.default_rng(seed))
        for x, y in zip(sim.draw, fresh.draw, strict=True):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(sim.slot_rate_mbps, fresh.slot_rate_mbps)
    clone = pickle.loads(pickle.dumps(sim))
    rng, ref = np.random.default_rng(7), np.random.default_rng(7)
    clone.reset(rng)
    sim.reset(ref)
    np.testing.assert_array_equal(clone.draw.arr_t, sim.draw.arr_t)
    assert rng.bit_generator.state == ref.bit_generator.state
