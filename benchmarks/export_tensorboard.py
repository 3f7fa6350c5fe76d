"""Export the reward curves of training runs from their TensorBoard logs to one PNG.

    python benchmarks/export_tensorboard.py runs/hybrid-default-s0-* runs/ppo-default-s0-* \
        --title "default" --out benchmarks/figures/learning_default.png

Per run: the training episode return (TensorBoard ``rollout/ep_rew_mean``, SB3's mean over the last 100
episodes of the stochastic policy) and the held-out evaluation return of the deterministic policy (the
run's ``evaluations.csv``, the same numbers as ``eval/mean_reward``, plus the evaluation at the end of
training) against environment steps, with JM-MPRA's held-out return on the same episodes as a dashed line. Returns are per episode (sum of the
per-slot rewards over the scenario's ``episode_slots``). This script reads the logs; the figure is drawn by
:func:`rapgym.evaluation.plots.plot_learning_curves`.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rapgym.evaluation.plots import LearningCurve, plot_learning_curves


def read_scalars(run_dir: Path) -> dict[str, tuple[list[int], list[float]]]:
    """Every scalar tag of a run's ``tb/`` logs as ``tag -> (steps, values)``."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for events in sorted((run_dir / "tb").rglob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events.parent), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            points = acc.Scalars(tag)
            steps, values = out.setdefault(tag, ([], []))
            steps.extend(p.step for p in points)
            values.extend(p.value for p in points)
    return out


def read_run(run_dir: Path) -> tuple[LearningCurve, float | None]:
    """A run's learning curve (TensorBoard ``rollout/ep_rew_mean``, ``evaluations.csv``) and JM-MPRA's held-out
    return of its last evaluation (``None`` before the first evaluation)."""
    with (run_dir / "evaluations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    curve = LearningCurve(run_dir.name, read_scalars(run_dir).get("rollout/ep_rew_mean"),
                          ([int(r["timesteps"]) for r in rows], [float(r["mean_reward"]) for r in rows]))
    return curve, float(rows[-1]["jm_mpra_mean_reward"]) if rows else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders written by train.py")
    parser.add_argument("--title", default="reward curves")
    parser.add_argument("--out", type=Path, required=True, help="PNG path")
    args = parser.parse_args()
    missing = [str(r) for r in args.runs if not (r / "config.yml").is_file()]
    if missing:
        parser.error(f"not run folders (no config.yml): {missing}")
    curves, reference = [], None
    for run in args.runs:
        curve, run_reference = read_run(run)
        curves.append(curve)
        reference = run_reference if run_reference is not None else reference
    plot_learning_curves(curves, args.out, args.title, reference)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
