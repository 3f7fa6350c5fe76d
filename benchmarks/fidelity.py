"""Fidelity: the simulator's per-task latency against a real split execution over a shaped link.

Usage (root; see rapgym.runtime.testbed): nice -n 10 python benchmarks/fidelity.py [--seconds 20] [--seed 0]
    [--write benchmarks/fidelity.md] [--figures benchmarks/figures] [--profile-dir DIR] [--save FILE | --load FILE]

Profiles the model on this host twice (the project's profiler; the runtime's stages), runs every experiment
of :func:`plan` on the real testbed, replays each in the simulator under model variants A/B/C
(:data:`rapgym.runtime.experiment.VARIANTS`) and prints the error tables (relative error
``(predicted - measured) / measured``: median and p95 of its absolute value, and its median = bias).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from marked_section import add_write_argument, publish

from rapgym.runtime.compare import Table, group_by, summarise, uplink_table
from rapgym.runtime.experiment import VARIANTS, Experiment, Outcome, feasible_combos, run_experiment
from rapgym.runtime.replay import LINK_MODELS, applied_trace
from rapgym.runtime.workload import ModelSpec, profile_on_host, profile_stages
from rapgym.traces.trace import BandwidthTrace

CUTS = (0, 1, 3, 6, 9, 10, 12)
"""Cuts swept: raw input, after conv1, pool1, pool2, pool3, avgpool, device-only (vgg-small at 1x64x64)."""
BITS = (32, 8, 4, 2)
OUTAGE_MBPS = (8, 10, 6, 8, 0, 0, 8, 12, 6, 8, 4, 8, 0, 10, 8, 6, 8, 10, 8, 8)
"""The outage trace (1 s samples, Mbit/s; repeated): a 2 s and a 1 s outage between LTE-like rates."""
RTT_S = 0.02
DEVICE_FACTOR = 1.0
"""Device slowdown emulated against this host (1: none; stretching amplifies this shared host's timing noise)."""


def trace(rates: list[float] | tuple[float, ...], seconds: int, shift: int = 0) -> BandwidthTrace:
    samples = np.resize(np.roll(np.asarray(rates, dtype=float), -shift), seconds + 2)
    return BandwidthTrace.from_samples(samples, 1.0, name=f"{rates[0] if len(set(rates)) == 1 else 'outage'}")


def plan(profile, seconds: int) -> list[Experiment]:
    slots = seconds * 10
    out: list[Experiment] = []
    for level in (2.0, 8.0, 30.0):
        out.append(Experiment(f"N=1 sweep {level:g} Mbit/s", (trace([level], seconds),),
                              combos=tuple(feasible_combos(profile, CUTS, BITS, level, 0.1)), slots=slots))
    out.append(Experiment("N=1 sweep 8 Mbit/s, Poisson", (trace([8.0], seconds),), arrival="poisson",
                          combos=tuple(feasible_combos(profile, CUTS, BITS, 8.0, 0.1)), slots=slots))
    out.append(Experiment("N=1 sweep outages", (trace(OUTAGE_MBPS, seconds),),
                          combos=tuple(feasible_combos(profile, CUTS, BITS, 8.0, 0.1)), slots=slots))
    out.append(Experiment("N=1 sweep outages, tbf not woken", (trace(OUTAGE_MBPS, seconds),),
                          combos=tuple(feasible_combos(profile, CUTS, BITS, 8.0, 0.1)), slots=slots, wake_shaper=False))
    for name in ("rap", "jm-mpra"):
        out.append(Experiment(f"N=1 {name} outages", (trace(OUTAGE_MBPS, seconds),), policy=name, slots=slots))
    out.append(Experiment("N=2 sweep 8 Mbit/s", (trace([8.0], seconds),) * 2,
                          combos=tuple(feasible_combos(profile, CUTS, BITS, 8.0, 0.1)), slots=slots))
    out.append(Experiment("N=2 jm-mpra outages", tuple(trace(OUTAGE_MBPS, seconds, 7 * i) for i in range(2)), policy="jm-mpra", slots=slots))
    out.append(Experiment("N=4 jm-mpra outages", tuple(trace(OUTAGE_MBPS, seconds, 5 * i) for i in range(4)), policy="jm-mpra", slots=slots))
    out.append(Experiment("N=1 throughput 20 fps, 30 Mbit/s", (trace([30.0], seconds),), combos=((10, 0),), fps=20.0,
                          slots=min(slots, 100)))
    return [dataclasses.replace(e, device_factor=DEVICE_FACTOR) for e in out]


def row(label: str, stats: dict[str, float]) -> str:
    return (f"| {label} | {stats['n']} | {100 * stats['median_abs']:.1f} | {100 * stats['p95_abs']:.1f} | "
            f"{100 * stats['bias']:+.1f} |")


def merged(tables: list[Table]) -> Table:
    keys = ("user", "cut", "bits", "measured", "predicted", "rel_err")
    return {k: np.concatenate([np.zeros(0)] + [t[k] for t in tables]) for k in keys}


def report(outcomes: list[Outcome], profiles: dict, args: argparse.Namespace, load: tuple, wall_s: float) -> str:
    head = "| {} | tasks | median \\|e\\| % | p95 \\|e\\| % | bias % |\n|---|---|---|---|---|"
    lines = [
        f"Command: `.venv/bin/python benchmarks/fidelity.py {args.command}`; machine: {platform.machine()} "
        f"{os.cpu_count()}-core CPU, Linux {platform.release()}, Python {platform.python_version()}, torch "
        f"{torch.__version__} (1 thread per process), shared with other jobs: load average {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f} (1/5/15 min) at the start; seed {args.seed} (arrival phases); "
        f"{wall_s:.0f} s in all. Model: `{profiles['spec'].name}` (random weights), cuts {list(CUTS)}, "
        f"bits {list(BITS)}, RTT {RTT_S * 1e3:.0f} ms emulated, device factor {DEVICE_FACTOR:g} (device and cloud "
        "are this host's CPU), 5 frames/s per user (periodic from a random phase unless said).",
        "",
        "**Per-task latency, by run** (variant A = simulator defaults + profiler profile; B = link options `uplink_efficiency` 1448/1514 and `uplink_burst_bytes` 1600; C = B + stage profile):",
        "",
        "| run | variant | tasks | median \\|e\\| % | p95 \\|e\\| % | bias % |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        for v in VARIANTS:
            s = summarise(o.latency[v]["rel_err"])
            lines.append(f"| {o.experiment.name} | {v} | {s['n']} | {100 * s['median_abs']:.1f} | {100 * s['p95_abs']:.1f} | {100 * s['bias']:+.1f} |")
    single = [o for o in outcomes if o.experiment.num_users == 1 and "throughput" not in o.experiment.name
              and o.experiment.wake_shaper]
    for key, title in (("cut", "cut"), ("bits", "bit width (inner cuts)")):
        lines += ["", f"**Single-user per-task latency by {title}** (all single-user runs pooled), variant A → C:", "",
                  head.format(title)]
        for v in ("A", "C"):
            table = merged([o.latency[v] for o in single])
            if key == "bits":
                inner = (table["cut"] > 0) & (table["cut"] < profiles["profiler"].K)
                table = {k: c[inner] for k, c in table.items()}
            for value, stats in group_by(table, key).items():
                lines.append(row(f"{value} ({v})", stats))
    lines += ["", "**Uplink time alone** (each upload from the later of its send start and the previous last byte, "
              "to its last byte; predicted by the simulator's link rule (`docs/model.md` §1) from the same instant; runs whose policy never "
              "uploaded are left out):", "",
              "| run / link model | uploads | median \\|e\\| % | p95 \\|e\\| % | bias % | p95 \\|Δ\\| ms |",
              "|---|---|---|---|---|---|"]
    for o in outcomes:
        for link in LINK_MODELS:
            t = o.uplink[link]
            if t["rel_err"].size:
                delta = 1e3 * np.percentile(np.abs(t["predicted"] - t["measured"]), 95)
                lines.append(row(f"{o.experiment.name} / {link}", summarise(t["rel_err"])) + f" {delta:.2f} |")
    sweeps = [o for o in outcomes if o.experiment.policy == "sweep" and o.experiment.wake_shaper]
    lines += ["", "Uploads of at least 60 kB alone (all sweeps pooled; the burst is then under 3 % of the upload):", "",
              head.format("link model")]
    for link, options in LINK_MODELS.items():
        tables = [uplink_table(o.result, [applied_trace(c) for c in o.result.changes], min_bytes=60_000, **options)
                  for o in sweeps]
        lines.append(row(link, summarise(merged(tables)["rel_err"])))
    lines += ["", "**Compute time alone** (device stage: head + quantize + pack; cloud: unpack + tail), all runs:", "",
              head.format("stage / profile")]
    for key in ("profiler/device", "stages/device", "profiler/cloud", "stages/cloud"):
        lines.append(row(key, summarise(merged([o.compute[key] for o in outcomes])["rel_err"])))
    lines += ["", "**Harness overhead**:", "", "| run | frames/s done | decide ms (median / max) | decision late ms "
              "(median / max) | device start late ms (median) |", "|---|---|---|---|---|"]
    for o in outcomes:
        r = o.result
        done = sum(len(u) for u in r.records)
        starts = [rec["dev_start"] - rec["arrival"] for u in r.records for rec in u]
        lines.append(f"| {o.experiment.name} | {done / (o.experiment.slots * o.experiment.dt_s):.1f} | "
                     f"{1e3 * np.median(r.decide_s):.2f} / {1e3 * r.decide_s.max():.1f} | "
                     f"{1e3 * np.median(r.late_s):.2f} / {1e3 * r.late_s.max():.1f} | {1e3 * np.median(starts):.2f} |")
    return "\n".join(lines) + "\n"


def plots(outcomes: list[Outcome], folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for v, color in (("A", "tab:orange"), ("C", "tab:blue")):
        t = merged([o.latency[v] for o in outcomes])
        axes[0].loglog(1e3 * t["measured"], 1e3 * t["predicted"], ".", ms=3, alpha=0.5, color=color, label=f"variant {v}")
        e = np.sort(np.abs(t["rel_err"]))
        axes[1].semilogx(np.maximum(100 * e, 1e-2), np.arange(1, e.size + 1) / e.size, color=color, label=f"variant {v}")
    lim = axes[0].get_xlim()
    axes[0].plot(lim, lim, "k--", lw=0.8)
    axes[0].set(xlabel="measured latency (ms)", ylabel="simulated latency (ms)", title="per task, all runs")
    axes[1].set(xlabel="|relative error| (%)", ylabel="fraction of tasks", title="error CDF, all runs")
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(folder / "fidelity.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="run only experiments whose name contains one of these")
    parser.add_argument("--figures", type=Path, default=None)
    parser.add_argument("--profile-dir", type=Path, default=None, help="save the two host profiles (JSON) here")
    parser.add_argument("--save", type=Path, default=None, help="pickle the outcomes here after every run")
    add_write_argument(parser, "fidelity")
    parser.add_argument("--load", type=Path, default=None, help="only rebuild the report from a --save file")
    args = parser.parse_args()
    args.command = " ".join(a for a in sys.argv[1:] if not a.startswith("--load") and a != str(args.load))
    spec = ModelSpec()
    if args.load:
        saved = pickle.loads(args.load.read_bytes())
        args.command = saved["command"]
        publish(report(saved["outcomes"], dict(saved["profiles"], spec=spec), args, saved["load"], saved["wall_s"]),
                "fidelity", args.write)
        return
    load = os.getloadavg()
    start = time.time()
    profiler = profile_on_host(spec)
    profiles = {"profiler": profiler, "stages": profile_stages(spec, profiler)}
    if args.profile_dir:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
        for key, p in profiles.items():
            p.save_json(args.profile_dir / f"{spec.name}.{key}.json")
    outcomes = []
    for i, exp in enumerate(plan(profiler, args.seconds)):
        if args.only and not any(s in exp.name for s in args.only):
            continue
        print(f"running {exp.name} ...", flush=True)
        outcomes.append(run_experiment(exp, spec, profiles, RTT_S, seed=args.seed, port=5600 + i))
        if args.save:
            args.save.write_bytes(pickle.dumps({"outcomes": outcomes, "profiles": profiles, "load": load,
                                                "command": args.command, "wall_s": time.time() - start}))
    if args.figures:
        plots(outcomes, args.figures)
    publish(report(outcomes, dict(profiles, spec=spec), args, load, time.time() - start), "fidelity", args.write)


if __name__ == "__main__":
    main()
