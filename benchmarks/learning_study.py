"""A learning study: one agent configuration trained with several seeds, then played on the test episodes next to
the reference policies; and the report over several studies.

    # train 3 seeds (two runs at a time, resumable) and evaluate them on 10 test episodes
    python benchmarks/learning_study.py run --name ppo-set --algo ppo --scenario default --timesteps 200000 \\
        --seeds 0 1 2 --hyperparams policy_kwargs.network=set normalize_obs=false \\
        --variants default:4 default:16 unstable-lte:8
    # per training seed, the kept model of the study with the best held-out selection score (not the test episodes)
    python benchmarks/learning_study.py select --name hybrid-select benchmarks/results/learning/hybrid-{set-best,transfer}-lte-commute.json
    # play every reference policy a study made before ALL_REFERENCES lacks (same test episodes)
    python benchmarks/learning_study.py references benchmarks/results/learning/*.json
    # the table of every study, paired against the references, and the learning curves
    python benchmarks/learning_study.py report benchmarks/results/learning/*.json \\
        --figures benchmarks/figures --write benchmarks/learning.md

``run`` trains with ``train.py`` (one subprocess per seed, ``--parallel`` at a time, a finished run is not
retrained; ``--runs DIR ...`` evaluates finished run folders instead, e.g. the leaderboard's), then plays each seed's best model (selected on the held-out episodes ``EVAL_SEED_BASE + j``)
and the reference policies on the test episodes ``TEST_SEED_BASE + j`` of the training scenario and of each
``--variants`` entry ``scenario:num_users`` (zero-shot: other N or another scenario), and writes every value
to ``benchmarks/results/learning/<name>-<scenario>.json``. ``report`` reads those files: reward per slot of
each agent as mean ± 95 % CI over training seeds and test episodes (crossed bootstrap,
:mod:`rapgym.learning.study`), paired differences to JM-MPRA and accuracy-budget on the same episodes, and
one figure per training scenario and N of the held-out learning curves (mean ± t-interval over seeds, environment
steps on the x axis) with JM-MPRA and accuracy-budget on the same held-out episodes as horizontal lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from marked_section import add_write_argument, publish

from rapgym.configs.overrides import parse_overrides
from rapgym.configs.scenario import available_scenarios, load_scenario
from rapgym.envs.multi_user_end_cloud import MultiUserEndCloudEnv
from rapgym.errors import HyperparamsError
from rapgym.evaluation.runner import resolve_policy, run_episode
from rapgym.learning.held_out import comparison_seeds, eval_env_overrides, eval_seeds
from rapgym.learning.run_folder import RunFolder
from rapgym.learning.saved_agents import register_saved_agents
from rapgym.learning.study import crossed_mean, paired_difference, seed_band

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ("jm-mpra", "accuracy-budget", "rap-equal")
"""Reference policies with their own columns in the report (paired comparison on the same episodes)."""
ALL_REFERENCES = ("rap", "rap-equal", "jm-mpra", "neurosurgeon", "accuracy-budget", "iao", "device-only", "cloud-only")
"""Every deterministic, non-clairvoyant reference policy, played on the same episodes: the report's best reference is
the best of these on each variant's test episodes."""
RESULTS = ROOT / "benchmarks" / "results" / "learning"


def _variant(text: str) -> tuple[str, int]:
    scenario, _, users = text.partition(":")
    if scenario not in available_scenarios() or not users.isdigit() or int(users) < 1:
        raise argparse.ArgumentTypeError(f"variant {text!r}: expected SCENARIO:NUM_USERS with SCENARIO one of "
                                         f"{', '.join(available_scenarios())} and NUM_USERS >= 1")
    return scenario, int(users)


def _train(args: argparse.Namespace, seed: int) -> Path:
    """Train one seed with train.py unless its run folder already holds a result; the run folder."""
    run = args.out / f"{args.name}-{args.scenario}-s{seed}"
    if (run / "result.yml").exists():
        return run
    if run.exists():
        raise SystemExit(f"{run} exists without result.yml (an interrupted run): delete it to retrain")
    cmd = ["nice", "-n", str(args.nice), sys.executable, str(ROOT / "train.py"), "--algo", args.algo,
           "--scenario", args.scenario, "--timesteps", str(args.timesteps), "--seed", str(seed), "--out", str(args.out),
           "--run-name", run.name, "--no-progress-bar"]
    if args.hyperparams:
        cmd += ["--hyperparams", *args.hyperparams]
    if args.trained_agent:
        cmd += ["--trained-agent", args.trained_agent.format(seed=seed)]
    log = args.out / f"{run.name}.log"
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as handle:
        done = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise SystemExit(f"training seed {seed} failed (exit {done.returncode}); see {log}")
    print(f"trained {run.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return run


def _rewards(spec: str, scenario: str, num_users: int, seeds: Sequence[int], env_kwargs: dict[str, Any]) -> list[float]:
    """Reward per slot of ``spec`` on each episode seed."""
    factory = resolve_policy(spec)
    out = []
    for seed in seeds:
        env = MultiUserEndCloudEnv(scenario, **{**env_kwargs, "num_users": num_users})
        out.append(run_episode(env, factory(env), seed)["mean_reward"])
    return out


def _variant_kwargs(study: dict[str, Any], scenario: str) -> dict[str, Any]:
    """The env overrides a study's variant is played with: its ``env_kwargs.*`` overrides but ``num_users``,
    with the test split of real traces (:func:`eval_env_overrides`)."""
    env_kwargs = parse_overrides(study["hyperparams"], HyperparamsError, "--hyperparams").get("env_kwargs", {})
    return eval_env_overrides(scenario, {k: v for k, v in env_kwargs.items() if k != "num_users"})


def add_references(paths: Sequence[Path]) -> None:
    """Play the reference policies of :data:`ALL_REFERENCES` a study's JSON lacks on its test episodes; rewrite it."""
    for path in paths:
        study = json.loads(path.read_text())
        for v in study["variants"]:
            kwargs = _variant_kwargs(study, v["scenario"])
            for p in ALL_REFERENCES:
                if p not in v["references"]:
                    v["references"][p] = _rewards(p, v["scenario"], v["num_users"], study["test_seeds"], kwargs)
        path.write_text(json.dumps(study, indent=1) + "\n")
        print(f"references of {path.name}: {', '.join(ALL_REFERENCES)}", flush=True)


def _curve(run: Path, episode_slots: int) -> dict[str, list[float]]:
    """The run's held-out evaluations as reward per slot: steps, agent, JM-MPRA."""
    with RunFolder(run).evaluations.open() as handle:
        rows = list(csv.DictReader(handle))
    return {"steps": [int(r["timesteps"]) for r in rows],
            "agent": [float(r["mean_reward"]) / episode_slots for r in rows],
            "jm_mpra": [float(r["jm_mpra_mean_reward"]) / episode_slots for r in rows]}


def run_study(args: argparse.Namespace) -> Path:
    """Train every seed, evaluate on the test episodes, write the study's JSON; its path."""
    if args.runs:
        runs = args.runs
        args.seeds = [RunFolder(r).read_config()["seed"] for r in runs]
        args.timesteps = RunFolder(runs[0]).read_result()["timesteps"]
    else:
        with ThreadPoolExecutor(args.parallel) as pool:
            runs = list(pool.map(lambda s: _train(args, s), args.seeds))
    register_saved_agents()
    config = RunFolder(runs[0]).read_config()
    env_kwargs = dict(config["hyperparams"]["env_kwargs"])
    trained_users = load_scenario(args.scenario, **env_kwargs).num_users
    test = comparison_seeds(args.episodes)
    study: dict[str, Any] = {"name": args.name, "algo": args.algo, "scenario": args.scenario, "num_users": trained_users,
                             "timesteps": args.timesteps, "seeds": args.seeds, "hyperparams": args.hyperparams,
                             "trained_agent": args.trained_agent,
                             "command": " ".join(["python", "benchmarks/learning_study.py", *sys.argv[1:]]),
                             "wall_s": [RunFolder(r).read_result()["wall_s"] for r in runs], "test_seeds": test,
                             "variants": []}
    for scenario, users in [(args.scenario, trained_users), *args.variants]:
        kwargs = eval_env_overrides(scenario, {k: v for k, v in env_kwargs.items() if k != "num_users"})
        variant = {"scenario": scenario, "num_users": users,
                   "agent": [_rewards(str(RunFolder(r).best_or_final_model()), scenario, users, test, kwargs) for r in runs],
                   "references": {p: _rewards(p, scenario, users, test, kwargs) for p in ALL_REFERENCES}}
        study["variants"].append(variant)
        print(f"evaluated {args.name} on {scenario} N={users}", flush=True)
    slots = load_scenario(args.scenario, **env_kwargs).episode_slots
    selection = eval_seeds(int(config["hyperparams"]["eval_episodes"]))
    study["curves"] = [_curve(r, slots) for r in runs]
    study["selection_references"] = {
        p: float(np.mean(_rewards(p, args.scenario, trained_users, selection, eval_env_overrides(args.scenario, env_kwargs))))
        for p in ("jm-mpra", "accuracy-budget")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}-{args.scenario}.json"
    path.write_text(json.dumps(study, indent=1) + "\n")
    print(f"wrote {path}")
    return path


def select_studies(paths: Sequence[Path], name: str) -> Path:
    """Model selection across configurations: per training seed, the kept model of the study whose held-out selection
    score (the best point of its learning curve: the episodes ``EVAL_SEED_BASE + j``, never the test episodes) is
    highest; writes ``<name>-<scenario>.json`` with that model's test rewards and the choice per seed; its path."""
    studies = [json.loads(p.read_text()) for p in paths]
    first = studies[0]
    for study in studies[1:]:
        for key in ("scenario", "num_users", "seeds", "test_seeds", "selection_references"):
            if study[key] != first[key]:
                raise SystemExit(f"select: {study['name']} has {key} {study[key]}, {first['name']} {first[key]}: "
                                 f"only studies of one scenario, seeds and held-out episodes can be selected among")
    scores = np.array([[max(curve["agent"]) for curve in study["curves"]] for study in studies])  # (studies, seeds)
    chosen = [int(i) for i in np.argmax(scores, axis=0)]
    trained = first["variants"][0]
    selection = {"name": name, "algo": first["algo"], "scenario": first["scenario"], "num_users": first["num_users"],
                 "timesteps": [studies[c]["timesteps"] for c in chosen], "seeds": first["seeds"],
                 "command": " ".join(["python", "benchmarks/learning_study.py", *sys.argv[1:]]),
                 "selected_from": [s["name"] for s in studies], "chosen": [studies[c]["name"] for c in chosen],
                 "selection_scores": scores.tolist(), "wall_s": [studies[c]["wall_s"][i] for i, c in enumerate(chosen)],
                 "test_seeds": first["test_seeds"], "curves": [],
                 "variants": [{"scenario": trained["scenario"], "num_users": trained["num_users"],
                               "agent": [studies[c]["variants"][0]["agent"][i] for i, c in enumerate(chosen)],
                               "references": trained["references"]}],
                 "selection_references": first["selection_references"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{first['scenario']}.json"
    path.write_text(json.dumps(selection, indent=1) + "\n")
    print(f"wrote {path}: per seed {', '.join(selection['chosen'])}")
    return path


def _steps(study: dict[str, Any]) -> str:
    """The training steps of a study's runs (a selection's: of each seed's chosen run)."""
    steps = study["timesteps"]
    return " / ".join(f"{s:,}" for s in steps) if isinstance(steps, list) else f"{steps:,}"


def _fmt(value: Any) -> str:
    return f"{value.mean:+.3f} ± {value.half_width:.3f} ({value.wins}/{value.count})"


def report(paths: Sequence[Path], figures: Path | None) -> str:
    """The Markdown report of the studies in ``paths`` (and their learning-curve figures under ``figures``)."""
    studies = [json.loads(p.read_text()) for p in paths]
    lines = ["Reward per slot on the test episodes (seeds 2 000 000..), mean ± 95 % CI over training seeds and test",
             "episodes (crossed bootstrap, `rapgym/learning/study.py`); `seed means` is each training seed's mean; the",
             "paired columns are agent minus reference on the same episodes (seed × episode pairs where the agent is",
             "better). References are deterministic: their CI is over episodes. `best reference` is the best mean of every",
             f"deterministic reference policy ({', '.join(ALL_REFERENCES)}) on the same test episodes.", "",
             "| agent | trained on | played on | seeds | steps | reward/slot | seed means | − JM-MPRA | − accuracy-budget | "
             "− best reference | best reference | JM-MPRA | accuracy-budget | RAP equal shares |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for study in studies:
        for v in study["variants"]:
            agent = np.array(v["agent"])
            refs = {k: np.array(x) for k, x in v["references"].items()}
            mean = crossed_mean(agent)
            ref_means = [crossed_mean(refs[p][None, :]) for p in REFERENCES]
            ref_cells = [f"{r.mean:.3f} ± {r.half_width:.3f}" for r in ref_means]
            missing = [p for p in ALL_REFERENCES if p not in refs]
            if missing:
                raise SystemExit(f"{study['name']}-{study['scenario']}: references {missing} not played; run "
                                 f"`python benchmarks/learning_study.py references` on its JSON first")
            best = max(ALL_REFERENCES, key=lambda p: float(refs[p].mean()))
            lines.append(f"| {study['name']} | {study['scenario']} N={study['num_users']} | {v['scenario']} N={v['num_users']} | "
                         f"{len(study['seeds'])} | {_steps(study)} | {mean.mean:.3f} ± {mean.half_width:.3f} | "
                         f"{', '.join(f'{m:.2f}' for m in mean.seed_means)} | {_fmt(paired_difference(agent, refs['jm-mpra']))} | "
                         f"{_fmt(paired_difference(agent, refs['accuracy-budget']))} | "
                         f"{_fmt(paired_difference(agent, refs[best]))} | {best} {refs[best].mean():.3f} | {' | '.join(ref_cells)} |")
    lines += ["", "Commands (each study's JSON under `benchmarks/results/learning/` holds every value):", ""]
    lines += [f"- `{s['command']}` — wall per run {', '.join(f'{w:.0f}' for w in s['wall_s'])} s" for s in studies]
    lines += ["", "This section: `" + " ".join(["python", "benchmarks/learning_study.py", *sys.argv[1:]]) + "`"]
    if figures is not None:
        lines += ["", *_plot_curves(studies, figures)]
    return "\n".join(lines) + "\n"


def _plot_curves(studies: Sequence[dict[str, Any]], figures: Path) -> list[str]:
    """One learning-curve figure per training scenario and N; the Markdown image lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    for scenario, users in sorted({(s["scenario"], s["num_users"]) for s in studies}):
        fig, ax = plt.subplots(figsize=(9, 4.4))
        group = [s for s in studies if (s["scenario"], s["num_users"]) == (scenario, users)]
        for study in (s for s in group if s["curves"]):  # a selection has its sources' curves
            band = seed_band([(c["steps"], c["agent"]) for c in study["curves"]])
            line, = ax.plot(band.steps, band.mean, marker="o", ms=2, label=f"{study['name']} ({len(study['seeds'])} seeds)")
            ax.fill_between(band.steps, band.low, band.high, color=line.get_color(), alpha=0.2)
        refs = group[0]["selection_references"]
        ax.axhline(refs["jm-mpra"], color="black", ls="--", lw=1, label="JM-MPRA")
        ax.axhline(refs["accuracy-budget"], color="grey", ls=":", lw=1.2, label="accuracy-budget")
        ax.set_xlabel("environment steps")
        ax.set_ylabel("reward per slot (held-out selection episodes)")
        ax.set_title(f"{scenario}, N = {users}: held-out reward during training, mean ± 95 % CI over seeds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        figures.mkdir(parents=True, exist_ok=True)
        path = figures / f"learning_study_{scenario}_n{users}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out.append(f"![{scenario} N = {users} learning curves](figures/{path.name})")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train the seeds of one configuration and evaluate them")
    run.add_argument("--name", required=True, help="study name (run folders <name>-<scenario>-s<seed>)")
    run.add_argument("--algo", required=True, choices=("ppo", "sac", "hybrid"))
    run.add_argument("--scenario", required=True, choices=available_scenarios())
    run.add_argument("--timesteps", type=int, help="training budget per seed (not with --runs)")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    run.add_argument("--hyperparams", nargs="*", default=[], metavar="KEY=VALUE")
    run.add_argument("--trained-agent", default=None, metavar="PATH",
                     help="start each seed from this saved model ({seed} is replaced by the training seed), e.g. "
                          "runs/study/hybrid-set-best-default-s{seed}/best_model.zip to fine-tune on another preset")
    run.add_argument("--variants", type=_variant, nargs="*", default=[], metavar="SCENARIO:N",
                     help="also evaluate on these scenarios / user counts (zero-shot)")
    run.add_argument("--episodes", type=int, default=10, help="test episodes per variant")
    run.add_argument("--parallel", type=int, default=2, help="training runs at a time")
    run.add_argument("--nice", type=int, default=5)
    run.add_argument("--out", type=Path, default=ROOT / "runs" / "study")
    run.add_argument("--runs", type=Path, nargs="*", default=[],
                     help="evaluate these finished run folders (one per training seed) instead of training")
    select = sub.add_parser("select", help="per training seed, the study whose held-out selection score is best")
    select.add_argument("--name", required=True, help="name of the selection (its JSON <name>-<scenario>.json)")
    select.add_argument("studies", type=Path, nargs="+", help="JSONs of studies of one scenario and seeds")
    refs = sub.add_parser("references", help="play the reference policies a study's JSON lacks on its test episodes")
    refs.add_argument("studies", type=Path, nargs="+")
    rep = sub.add_parser("report", help="tables and curves of finished studies")
    rep.add_argument("studies", type=Path, nargs="+")
    rep.add_argument("--figures", type=Path, default=None, help="folder of the learning-curve PNGs")
    add_write_argument(rep, "learning_study")
    args = parser.parse_args(argv)
    if args.command == "run" and not args.runs and args.timesteps is None:
        parser.error("run: --timesteps is required unless --runs names finished run folders")
    if args.command == "run":
        run_study(args)
    elif args.command == "select":
        select_studies(args.studies, args.name)
    elif args.command == "references":
        add_references(args.studies)
    else:
        publish(report(args.studies, args.figures), "learning_study", args.write)


if __name__ == "__main__":
    main()
