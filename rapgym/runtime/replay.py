"""The simulator's side of a run: the env a run is decided and replayed in, and its per-task prediction.

The env is built from the profile measured on this host (device and cloud on the same machine:
``cloud_capacity = 1``; the devices emulate ``device_factor``), the runtime's framing (``header_bytes`` =
:data:`~rapgym.runtime.wire.FRAME_HEADER_BYTES`) and the emulated RTT. A run is replayed with the same
arrivals, the rates the shaper applied at the times they were applied, and the same per-slot actions.

Link models (``benchmarks/fidelity.md``), all on the trace of the shaper's rates, as the simulator's
link options (``docs/model.md`` §1, :data:`LINK_MODELS`):

- ``"fluid"``: the defaults (what a scenario states about the link: its rate);
- ``"headers"``: ``uplink_efficiency`` = TCP goodput of that rate: ``tbf`` counts whole Ethernet frames, so
  of every :data:`WIRE_FRAME_BYTES` only :data:`TCP_PAYLOAD_BYTES` carry data (:data:`GOODPUT_FACTOR`);
- ``"shaper"``: ``"headers"`` plus ``uplink_burst_bytes`` = the shaper's bucket
  (:data:`~rapgym.runtime.testbed.BURST_BYTES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.profiles.profile import DNNProfile
from rapgym.runtime.testbed import BURST_BYTES
from rapgym.runtime.wire import FRAME_HEADER_BYTES
from rapgym.traces.trace import BandwidthTrace

__all__ = ["make_env", "applied_trace", "predict_latency", "LINK_MODELS", "GOODPUT_FACTOR"]

TCP_PAYLOAD_BYTES = 1448
"""TCP payload per full segment on a 1500-byte MTU with the timestamp option."""
WIRE_FRAME_BYTES = 1514
"""What ``tbf`` counts per full segment: payload + 32 TCP + 20 IP + 14 Ethernet header bytes."""
GOODPUT_FACTOR = TCP_PAYLOAD_BYTES / WIRE_FRAME_BYTES
LINK_MODELS: dict[str, dict[str, float]] = {
    "fluid": {"uplink_efficiency": 1.0, "uplink_burst_bytes": 0},
    "headers": {"uplink_efficiency": GOODPUT_FACTOR, "uplink_burst_bytes": 0},
    "shaper": {"uplink_efficiency": GOODPUT_FACTOR, "uplink_burst_bytes": BURST_BYTES},
}
"""Link model name -> the scenario's link options (``docs/model.md`` §1)."""
TAIL_S = 120.0
"""The last applied rate holds this long after the last change (covers transfers after the horizon)."""


def make_env(profile: DNNProfile, num_users: int, episode_slots: int, fps: Sequence[float], rtt_s: float,
             dt_s: float = 0.1, history: int = 8, device_factor: float = 1.0, **overrides: Any) -> MultiUserEndCloudEnv:
    """The env of a run (the policies read its scenario constants; the replay steps it); ``device_factor``
    is the devices' emulated slowdown against this host."""
    scenario = dict(name="runtime", num_users=num_users, dt_s=dt_s, episode_slots=episode_slots, history=history,
                    bits=list(profile.bits), fps=list(fps), uplink="stable", rtt_s=rtt_s, header_bytes=FRAME_HEADER_BYTES,
                    cloud_capacity=1.0, device_factor=[device_factor], max_backlog_s=60.0, drop_penalty=1000.0)
    scenario.update(overrides)
    return MultiUserEndCloudEnv(scenario=scenario, profiles=[profile] * num_users)


def applied_trace(changes: Sequence[tuple[float, float]]) -> BandwidthTrace:
    """The trace of rates ``(time after the epoch s, Mbit/s)`` as applied (first at time 0)."""
    times = np.array([0.0] + [t for t, _ in changes[1:]])
    rates = np.array([r for _, r in changes], dtype=np.float64)
    keep = np.concatenate(([True], np.diff(times) > 1e-9))
    times, rates = times[keep], rates[keep]
    edges = np.concatenate((times, [times[-1] + TAIL_S]))
    return BandwidthTrace(edges, rates, name="applied tbf rates")


def predict_latency(env: MultiUserEndCloudEnv, traces: Sequence[BandwidthTrace], arrivals: Sequence[np.ndarray],
                    actions: Sequence[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """Per user, the simulator's latency (s) of each task, replaying ``actions`` slot by slot."""
    env.reset(seed=0, options={"traces": list(traces), "arrivals": [np.asarray(a, dtype=np.float64) for a in arrivals]})
    for action in actions:
        env.step(action)
    users, latency, _ = env.sim.dispatched_tasks()
    return [latency[users == i].copy() for i in range(env.num_users)]
