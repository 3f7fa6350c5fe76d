"""The kernel's segment search from a guess against ``np.searchsorted``, and ``C``/``C^-1`` whatever the guess."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rapgym.traces.capacity import (
    capacity_at,
    capacity_segment_at,
    inverse_capacity_at,
    inverse_capacity_near,
    search_from,
)
from rapgym.traces.trace import BandwidthTrace

# few distinct values, so that runs of equal entries (outages in C) are common
_VALUES = st.one_of(st.integers(-3, 12).map(float), st.sampled_from([np.nan, np.inf, -np.inf, 2.5, 1e300]))


@settings(max_examples=300, deadline=None)
@given(a=st.lists(st.integers(0, 9).map(float), min_size=1, max_size=40), v=_VALUES,
       guess=st.integers(-50, 50), right=st.booleans())
def test_search_from_any_guess_is_searchsorted(a, v, guess, right):
    """Duplicates, a value outside the array, NaN and infinities, guesses inside and outside the array."""
    a = np.sort(np.array(a))
    assert search_from(a, v, guess, right) == np.searchsorted(a, v, side="right" if right else "left")


@settings(max_examples=200, deadline=None)
@given(rates=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 500.0)), min_size=1, max_size=20),
       gaps=st.lists(st.floats(0.05, 3.0), min_size=20, max_size=20),
       taus=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=10),
       fracs=st.lists(st.floats(0.0, 4.0), min_size=1, max_size=10),
       guess=st.integers(-30, 30))
def test_segment_and_guessed_inverse(rates, gaps, taus, fracs, guess):
    """``capacity_segment_at`` returns ``C`` and the segment holding the time; the inverse from any guess
    equals ``C^-1`` bit for bit (irregular segments, outages, an all-outage trace, several laps)."""
    trace = BandwidthTrace(np.concatenate(([0.0], np.cumsum(gaps[:len(rates)]))), rates)
    args = (trace.edges, trace.cum_bits, trace.rates_bps)
    m = trace.rates_bps.shape[0]
    for tau in taus:
        cap, seg = capacity_segment_at(*args, tau)
        assert cap == capacity_at(*args, tau)
        phase = tau - np.floor(tau / trace.period_s) * trace.period_s
        assert seg == min(max(int(np.searchsorted(trace.edges, phase, side="right")) - 1, 0), m - 1)
    for x in np.array(fracs) * max(trace.total_bits, 1.0):
        assert inverse_capacity_near(*args, x, guess) == inverse_capacity_at(*args, x)


def test_search_on_a_regular_trace_by_hand():
    edges = np.arange(6) * 0.1  # 5 segments of 0.1 s, as generated traces are
    assert [search_from(edges, t, 2, True) for t in (0.0, 0.05, 0.1, 0.25, 0.5, 0.7)] == [1, 1, 2, 3, 6, 6]
    assert [search_from(edges, t, 4, False) for t in (-1.0, 0.0, 0.1, 0.15, 0.5, 0.7)] == [0, 0, 1, 2, 5, 6]
