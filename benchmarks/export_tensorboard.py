"""Export the reward curves of training runs from their TensorBoard logs to one PNG.

    python benchmarks/export_tensorboard.py runs/hybrid-default-s0-* runs/ppo-default-s0-* \
        --title "default" --out benchmarks/figures/learning_default.png

Per run: the training episode return (TensorBoard ``rollout/ep_rew_mean``, SB3's mean over the last 100
episodes of the stochastic policy) and the held-out evaluation return of the deterministic policy (the
run's ``evaluations.csv``, the same numbers as ``eval/mean_reward``, plus the evaluation at the end of
training) against environment steps, with JM-MPRA's held-out return on the same episodes as a dashed line. Returns are per episode (sum of the
per-slot rewards over the scenario's ``episode_slots``).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


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


def plot_runs(run_dirs: list[Path], title: str, out: Path) -> None:
    """Training and held-out returns of each run, JM-MPRA's held-out return as a reference line."""
    fig, ax = plt.subplots(figsize=(10, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    reference = None
    for color, run in zip(colors, run_dirs, strict=False):
        scalars = read_scalars(run)
        if "rollout/ep_rew_mean" in scalars:
            ax.plot(*scalars["rollout/ep_rew_mean"], color=color, alpha=0.4, label=f"{run.name}: training")
        with (run / "evaluations.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        if rows:
            ax.plot([int(r["timesteps"]) for r in rows], [float(r["mean_reward"]) for r in rows], color=color,
                    marker="o", ms=3, label=f"{run.name}: held-out")
            reference = float(rows[-1]["jm_mpra_mean_reward"])
    if reference is not None:
        ax.axhline(reference, color="black", ls="--", lw=1, label="JM-MPRA: held-out")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders written by train.py")
    parser.add_argument("--title", default="reward curves")
    parser.add_argument("--out", type=Path, required=True, help="PNG path")
    args = parser.parse_args()
    missing = [str(r) for r in args.runs if not (r / "config.yml").is_file()]
    if missing:
        parser.error(f"not run folders (no config.yml): {missing}")
    plot_runs(args.runs, args.title, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
