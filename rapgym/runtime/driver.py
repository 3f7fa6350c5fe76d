"""One run of the real runtime: testbed, cloud and device processes, trace replay, a policy deciding each slot.

Timeline: the testbed is built with each link at its trace's first rate; the cloud and the ``N`` device
processes start (``forkserver``, with the runtime's modules preloaded, so torch is imported once), warm
up and connect; the driver sends the epoch. Then, per slot ``s``, at
``epoch + s * dt - lead_s`` the driver folds the devices' events into the :class:`~rapgym.runtime.monitor.Monitor`,
asks the policy for an action on that observation, normalises the shares as the env does
(``docs/model.md §1``) and sends each device its ``(cut, bit width, share)``. A thread applies each
link's trace to its ``tbf`` at the trace's edges and records when each change took effect. Nothing is
left behind: the processes are ended and the testbed removed on any exit.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rapgym.envs.inputs import parse_action
from rapgym.errors import ActionError, RapgymError
from rapgym.runtime.cloud import CloudConfig, cloud_main
from rapgym.runtime.device import DeviceConfig, device_main
from rapgym.runtime.monitor import Monitor
from rapgym.runtime.testbed import Testbed, applied_rates
from rapgym.runtime.workload import ModelSpec
from rapgym.sim.pipeline import normalise_shares
from rapgym.traces.trace import BandwidthTrace

__all__ = ["RunResult", "decisions", "run"]

_TIME_KEYS = ("arrival", "dev_start", "head_end", "dev_end", "send_start", "sent", "last_byte", "cloud_ready",
              "cloud_start", "cloud_end", "reply", "end")


@dataclass
class RunResult:
    """What a run measured (times in s after the epoch).

    Attributes:
        records: per user, one dict per task in arrival order (:data:`_TIME_KEYS`, ``cut``, ``bits``,
            ``share``, ``tx_bytes``, ``latency_s``).
        actions: the env action of each slot, as the policy returned it.
        changes: per user, ``(time, Mbit/s)`` of every rate the shaper applied (the first at time 0).
        decide_s: wall time of each slot's observation + policy + send, s (the harness overhead).
        late_s: how late each slot's decision was sent after its planned time, s.
    """

    records: list[list[dict[str, float]]]
    actions: list[dict[str, np.ndarray]]
    changes: list[list[tuple[float, float]]]
    decide_s: np.ndarray
    late_s: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


def _apply_traces(testbed: Testbed, traces: Sequence[BandwidthTrace], epoch: float, horizon_s: float,
                  changes: list[list[tuple[float, float]]], stop: threading.Event) -> None:
    plan = sorted((float(e), i, float(r)) for i, tr in enumerate(traces)
                  for e, r in zip(tr.edges[1:-1], tr.rates_mbps[1:], strict=True) if e < horizon_s)
    for edge, user, rate in plan:
        if stop.wait(max(epoch + edge - time.monotonic(), 0.0)):
            return
        before = time.monotonic()
        testbed.set_rate_mbps(user, rate)
        changes[user].append(((before + time.monotonic()) / 2 - epoch, float(applied_rates(rate))))


def decisions(action: Any, num_cuts: np.ndarray, bits: np.ndarray, min_share: float, shared_uplink: bool
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cut, bit width, effective compute share)`` per user of an env action, as the env applies it
    (``docs/model.md §1``: a split above ``K_i`` is device-only; shares normalised over the uploading users).

    Raises:
        ActionError: a malformed action, or an index out of range (named, with the allowed values).
    """
    n = num_cuts.shape[0]
    split, bits_idx, raw, _ = parse_action(action, (n,), shared_uplink)
    if np.any(split < 0) or np.any(split > num_cuts.max() - 1):
        raise ActionError(f"action field 'split' is out of range; allowed: integers in [0, {num_cuts.max() - 1}]")
    if np.any(bits_idx < 0) or np.any(bits_idx >= bits.shape[0]):
        raise ActionError(f"action field 'bits' is out of range; allowed: integers in [0, {bits.shape[0] - 1}] indexing {bits.tolist()}")
    raw = np.asarray(raw, dtype=np.float64)
    if not np.all(np.isfinite(raw)) or np.any(raw < 0) or np.any(raw > 1):
        raise ActionError("action field 'compute_share' is out of range; allowed: finite floats in [0, 1]")
    cuts = np.minimum(split, num_cuts - 1)
    shares = np.zeros(n)
    normalise_shares(raw, cuts < num_cuts - 1, float(min_share), shares)
    return cuts, bits[bits_idx], shares


def _wait_started(ready: Any, proc: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.2):
        if not proc.is_alive():
            raise RapgymError(f"the cloud process exited with code {proc.exitcode} before listening")
        if time.monotonic() > deadline:
            raise RapgymError(f"the cloud process did not start listening within {timeout_s} s")


def _absolute_to_relative(record: dict[str, float], epoch: float) -> dict[str, float]:
    return {k: (v - epoch if k in _TIME_KEYS else v) for k, v in record.items()}


def run(spec: ModelSpec, env: Any, policy: Any, traces: Sequence[BandwidthTrace], arrivals: Sequence[np.ndarray],
        rtt_s: float, port: int = 5600, lead_s: float = 0.01, seed: int = 0, timeout_s: float = 60.0,
        wake_shaper: bool = True) -> RunResult:
    """Run ``policy`` on the real testbed for ``env.config.episode_slots`` slots.

    Args:
        spec: the model (its profile is ``env``'s).
        env: the run's env (:func:`rapgym.runtime.replay.make_env`): scenario constants (its
            ``device_factor`` is emulated by the devices) and the static observation fields.
        policy: anything with the SB3 ``predict`` signature.
        traces: one per user, from time 0 (rates below the shaper's minimum are raised to it).
        arrivals: per user, sorted arrival times in ``[0, episode_slots * dt_s)``, s.
        rtt_s: round-trip time emulated by the runtime (no ``netem`` here).
        lead_s: the decision for slot ``s`` is taken at ``s * dt - lead_s``.
        wake_shaper: wake the tbf after each rate change (:meth:`Testbed.set_rate_mbps`); ``False`` only to
            measure what not doing so costs.

    Raises:
        TestbedError: not root, ``ip``/``tc`` missing, no tbf.
        RapgymError: a process failed to start or the run did not finish in time.
    """
    cfg = env.config
    n, dt, slots = cfg.num_users, cfg.dt_s, cfg.episode_slots
    if len(traces) != n or len(arrivals) != n:
        raise RapgymError(f"need one trace and one arrival array per user (num_users={n}); got {len(traces)} and {len(arrivals)}")
    horizon = slots * dt
    for i, a in enumerate(arrivals):
        if len(a) and (a[0] < 0 or a[-1] >= horizon or np.any(np.diff(a) < 0)):
            raise RapgymError(f"arrivals of user {i} must be sorted in [0, {horizon}) s")
    bits = np.asarray(cfg.bits)
    static_obs, _ = env.reset(seed=seed)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["rapgym.runtime.cloud", "rapgym.runtime.device"])
    procs: list[Any] = []
    stop = threading.Event()
    with Testbed(n, rate_mbps=float(traces[0].rates_mbps[0]), wake_after_change=wake_shaper) as testbed:
        try:
            for i in range(n):
                testbed.set_rate_mbps(i, float(traces[i].rates_mbps[0]))
            changes = [[(0.0, float(applied_rates(traces[i].rates_mbps[0])))] for i in range(n)]
            ready, events = ctx.Event(), ctx.Queue()
            procs.append(ctx.Process(target=cloud_main, args=(CloudConfig(n, spec, port, rtt_s, testbed.cloud_ns), ready), daemon=True))
            procs[0].start()
            pipes = []
            for i in range(n):
                parent, child = ctx.Pipe()
                dev = DeviceConfig(i, spec, tuple(float(t) for t in arrivals[i]), dt, testbed.cloud_addr(i), port, rtt_s,
                                   testbed.device_ns(i), seed, timeout_s, float(cfg.per_user("device_factor")[i]))
                procs.append(ctx.Process(target=device_main, args=(dev, child, events), daemon=True))
                procs[-1].start()
                pipes.append(parent)
            _wait_started(ready, procs[0])
            connected = 0
            while connected < n:
                try:
                    connected += events.get(timeout=60)[0] == "connected"
                except queue.Empty:
                    raise RapgymError("the device processes did not connect to the cloud within 60 s") from None
            epoch = time.monotonic() + 0.3
            for pipe in pipes:
                pipe.send(epoch)
            tracer = threading.Thread(target=_apply_traces, args=(testbed, traces, epoch, horizon, changes, stop), daemon=True)
            tracer.start()
            monitor = Monitor(static_obs, arrivals, dt, cfg.max_backlog_s, np.array([float(applied_rates(t.rates_mbps[0])) for t in traces]))
            records: list[dict[int, dict[str, float]]] = [{} for _ in range(n)]
            finished: dict[int, bool] = {}

            def fold(msg: tuple) -> None:
                kind, user = msg[0], msg[1]
                if kind == "done":
                    records[user][msg[2]] = _absolute_to_relative(msg[3], epoch)
                elif kind == "finished":
                    finished[user] = msg[2]
                if kind == "ack":
                    msg = (*msg[:3], msg[3] - epoch, msg[4] - epoch, msg[5])
                if kind in ("head", "ack", "done"):
                    monitor.event(msg)

            actions, decide, late = [], [], []
            for slot in range(slots):
                planned = epoch + slot * dt - lead_s
                time.sleep(max(planned - time.monotonic(), 0.0))
                start = time.monotonic()
                while True:
                    try:
                        fold(events.get_nowait())
                    except queue.Empty:
                        break
                if slot > 0:
                    monitor.close_slot()
                action, _ = policy.predict(monitor.observation(start - epoch), deterministic=True)
                cuts, widths, shares = decisions(action, env.sim.num_cuts, bits, cfg.min_share, cfg.shared_uplink)
                monitor.decide(slot, cuts, shares)
                for i in range(n):
                    try:
                        pipes[i].send((slot, int(cuts[i]), int(widths[i]), float(shares[i])))
                    except BrokenPipeError:
                        pass  # the device is done with its frames (a crash shows below as a missing "finished")
                actions.append({k: np.array(v, copy=True) for k, v in action.items()})
                late.append(start - planned)
                decide.append(time.monotonic() - start)
            deadline = time.monotonic() + timeout_s
            while len(finished) < n:
                try:
                    fold(events.get(timeout=max(deadline - time.monotonic(), 0.01)))
                except queue.Empty:
                    raise RapgymError(f"devices {sorted(set(range(n)) - set(finished))} did not finish within {timeout_s} s") from None
            while True:  # events queued before the last "finished"
                try:
                    fold(events.get(timeout=0.2))
                except queue.Empty:
                    break
            if not all(finished.values()):
                raise RapgymError(f"some tasks got no reply within {timeout_s} s (users {[u for u, ok in finished.items() if not ok]})")
        finally:
            stop.set()
            for proc in procs:
                if proc.pid is None:
                    continue
                proc.join(timeout=5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(timeout=5)
    ordered = [[records[i][t] for t in sorted(records[i])] for i in range(n)]
    return RunResult(ordered, actions, changes, np.array(decide), np.array(late),
                     meta={"epoch_monotonic_s": epoch, "lead_s": lead_s, "rtt_s": rtt_s, "port": port})
