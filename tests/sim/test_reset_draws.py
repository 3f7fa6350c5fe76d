"""A simulator's reset draws, in order: the uplink traces, one start offset per link, then the arrivals.

The reference is the NumPy code reset used before its draws were compiled (``rng.uniform(0, periods)`` for the
offsets, each link's trace packed by :class:`~rapgym.traces.trace.BandwidthTrace`); the values and the generator's
final state must be identical, so seeded episodes are unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.configs.scenario import load_scenario
from rapgym.sim.arrivals import episode_arrivals
from rapgym.sim.simulator import Simulator
from rapgym.traces.sources import make_uplink_traces


@pytest.mark.parametrize(("scenario", "users", "arrival"), [("default", 8, "periodic"), ("default", 3, "poisson"),
                                                         ("shared-cell", 4, "periodic"), ("stable-wifi", 5, "poisson"),
                                                         ("5g-handover", 4, "periodic")])
def test_reset_draws_equal_the_numpy_reference(scenario, users, arrival):
    cfg = load_scenario(scenario, num_users=users, arrival=arrival)
    sim = Simulator(cfg)
    sim.reset(rng := np.random.default_rng(11))
    ref = np.random.default_rng(11)
    hist_s = cfg.history * cfg.dt_s
    traces = make_uplink_traces(cfg.uplink, ref, sim.num_links, sim.horizon_s + hist_s, dict(cfg.uplink_params))
    offsets = ref.uniform(0.0, np.array([t.period_s for t in traces])) + hist_s
    arr_t, arr_ptr = episode_arrivals(ref, cfg.arrival, sim.fps, sim.horizon_s)
    np.testing.assert_array_equal(sim.draw.trace_offset, offsets[sim.link_of_user])
    np.testing.assert_array_equal(sim.draw.tr_edges, np.concatenate([t.edges for t in traces]))
    np.testing.assert_array_equal(sim.draw.tr_cum, np.concatenate([t.cum_bits for t in traces]))
    np.testing.assert_array_equal(sim.draw.tr_rates, np.concatenate([t.rates_bps for t in traces]))
    np.testing.assert_array_equal(sim.draw.arr_t, arr_t)
    np.testing.assert_array_equal(sim.draw.arr_ptr, arr_ptr)
    np.testing.assert_array_equal(sim.task_user, np.repeat(np.arange(users), np.diff(arr_ptr)))
    assert rng.bit_generator.state == ref.bit_generator.state
