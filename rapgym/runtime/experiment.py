"""One fidelity experiment: a real run decided by a policy, replayed in the simulator under each model variant.

Model variants (``benchmarks/fidelity.md``): the simulator's link options (defaults, or the shaper's
headers and burst: :data:`rapgym.runtime.replay.LINK_MODELS`), and the profile from the project's profiler or re-measured
as the runtime runs its stages (:func:`rapgym.runtime.workload.profile_stages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rapgym.agents import make_policy
from rapgym.profiles.profile import DNNProfile
from rapgym.runtime.compare import Table, compute_table, latency_table, uplink_table
from rapgym.runtime.driver import RunResult, run
from rapgym.runtime.replay import LINK_MODELS, applied_trace, make_env, predict_latency
from rapgym.runtime.schedule import CycleSchedule
from rapgym.runtime.wire import FRAME_HEADER_BYTES
from rapgym.runtime.workload import ModelSpec
from rapgym.sim.arrivals import episode_arrivals
from rapgym.traces.trace import BandwidthTrace

__all__ = ["Experiment", "Outcome", "VARIANTS", "frame_arrivals", "feasible_combos", "run_experiment"]

VARIANTS: dict[str, tuple[str, str]] = {
    "A": ("fluid", "profiler"),
    "B": ("shaper", "profiler"),
    "C": ("shaper", "stages"),
}
"""Variant -> (link model, profile): A is the simulator with its defaults, C the improved model."""


@dataclass(frozen=True)
class Experiment:
    """A run: ``policy`` (``"sweep"`` cycles ``combos``, else a :func:`rapgym.agents.make_policy` name) over
    one trace per user, ``arrival`` process (``periodic`` or ``poisson``) at ``fps`` per user, ``slots`` slots of ``dt_s``, devices emulated
    ``device_factor`` times slower than this host."""

    name: str
    traces: tuple[BandwidthTrace, ...]
    policy: str = "sweep"
    combos: tuple[tuple[int, int], ...] = ()
    fps: float = 5.0
    arrival: str = "periodic"
    slots: int = 200
    dt_s: float = 0.1
    hold: int = 2
    device_factor: float = 1.0
    wake_shaper: bool = True

    @property
    def num_users(self) -> int:
        return len(self.traces)


@dataclass
class Outcome:
    """What one experiment gave: the run, and per variant the latency table; uplink and compute tables."""

    experiment: Experiment
    result: RunResult
    latency: dict[str, Table] = field(default_factory=dict)
    uplink: dict[str, Table] = field(default_factory=dict)
    compute: dict[str, Table] = field(default_factory=dict)


def frame_arrivals(rng: np.random.Generator, process: str, fps: float, horizon_s: float, num_users: int) -> list[np.ndarray]:
    """Per user, the frame times in ``[0, horizon_s)`` of the env's arrival ``process`` (``"periodic"`` or
    ``"poisson"``, :func:`rapgym.sim.arrivals.episode_arrivals`) at ``fps`` frames/s."""
    times, ptr = episode_arrivals(rng, process, np.full(num_users, fps), horizon_s)
    return [times[ptr[i]:ptr[i + 1]] for i in range(num_users)]


def feasible_combos(profile: DNNProfile, cuts: Sequence[int], bits: Sequence[int], rate_mbps: float,
                    max_transfer_s: float) -> list[tuple[int, int]]:
    """``(cut, bits index)`` pairs whose upload takes at most ``max_transfer_s`` at ``rate_mbps`` (bit widths
    only at inner cuts; the device-only cut always)."""
    out = []
    for k in cuts:
        widths = [32] if k in (0, profile.K) else list(bits)
        for b in widths:
            size = 0.0 if k == profile.K else profile.tx_bytes[k] * (b / 32 if 0 < k < profile.K else 1) + FRAME_HEADER_BYTES
            if 8 * size / (rate_mbps * 1e6) <= max_transfer_s:
                out.append((int(k), profile.bits.index(b)))
    return out


def run_experiment(exp: Experiment, spec: ModelSpec, profiles: dict[str, DNNProfile], rtt_s: float, seed: int = 0,
                   port: int = 5600, policy_options: dict[str, Any] | None = None) -> Outcome:
    """Run ``exp`` for real (decided on the ``"profiler"`` profile) and replay it under every variant."""
    n = exp.num_users
    env = make_env(profiles["profiler"], n, exp.slots, [exp.fps] * n, rtt_s, dt_s=exp.dt_s, device_factor=exp.device_factor)
    if exp.policy == "sweep":
        policy = CycleSchedule(exp.combos, n, hold=exp.hold)
    else:
        policy = make_policy(exp.policy, env, **(policy_options or {}))
    arrivals = frame_arrivals(np.random.default_rng(seed), exp.arrival, exp.fps, exp.slots * exp.dt_s, n)
    result = run(spec, env, policy, list(exp.traces), arrivals, rtt_s, port=port, seed=seed, wake_shaper=exp.wake_shaper)
    outcome = Outcome(exp, result)
    traces = [applied_trace(changes) for changes in result.changes]
    for variant, (link, prof) in VARIANTS.items():
        replay_env = make_env(profiles[prof], n, exp.slots, [exp.fps] * n, rtt_s, dt_s=exp.dt_s,
                              device_factor=exp.device_factor, **LINK_MODELS[link])
        outcome.latency[variant] = latency_table(result, predict_latency(replay_env, traces, arrivals, result.actions))
    for link, options in LINK_MODELS.items():
        outcome.uplink[link] = uplink_table(result, traces, **options)
    for prof, profile in profiles.items():
        for stage in ("device", "cloud"):
            outcome.compute[f"{prof}/{stage}"] = compute_table(result, profile, stage, exp.device_factor)
    return outcome
