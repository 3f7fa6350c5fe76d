"""The benchmark protocol: which cells ``rapgym-benchmark`` plays, on which seeds, and how a cell is named.

A *cell* is one policy on one scenario variant — a preset, its bandwidth source (the preset's generator, or
the real-trace **test** split of the preset's calibrated set, or, with ``rapgym-benchmark --traces DIR``, your
own trace folder in place of both) and a number of users N — played for one episode per test seed. :class:`Protocol` holds everything that decides a cell's numbers; its
:meth:`Protocol.settings` are stored with a run, so a resumed run with other settings is refused
(:mod:`rapgym.evaluation.suite_store`).

Test seeds are ``SUITE_SEED_BASE + j``: no training env (seeds below 1 000 000), no model selection
(1 000 000 + j) and no ``train.py --compare`` (2 000 000 + j) uses them.
"""

from __future__ import annotations

import glob as globbing
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any

from rapgym.configs.scenario import available_scenarios, load_scenario
from rapgym.errors import BenchmarkError, ScenarioError
from rapgym.shared_data import shared_data_dir
from rapgym.traces.sets import TRACE_SETS

__all__ = ["GENERATOR", "OWN_TRACES", "REAL_TEST", "SUITE_POLICIES", "SUITE_SEED_BASE", "Cell", "Protocol", "check_specs_known", "real_trace_glob",
           "settings_difference"]

SUITE_SEED_BASE = 3_000_000
"""First test seed of the benchmark (disjoint from training, model-selection and ``--compare`` seeds)."""

SUITE_POLICIES: tuple[str, ...] = ("rap", "jm-mpra", "rap-equal", "neurosurgeon", "accuracy-budget", "iao",
                                   "device-only", "cloud-only", "random")
"""Reference policies of the protocol. The clairvoyant ``oracle`` is left out: its exhaustive per-slot search
is refused beyond N = 4 and takes seconds per slot at N = 4 (``benchmarks/policies.md`` compares it with
JM-MPRA on 1 000 random small instances instead)."""

GENERATOR = "generator"
"""Bandwidth source of a cell: the preset's own uplink source (a generator)."""
REAL_TEST = "real-test"
"""Bandwidth source of a cell: the test split of the real trace set the preset's generator is calibrated to."""
OWN_TRACES = "own-traces"
"""Bandwidth source of a cell: your own trace folder (the ``traces`` uplink source, ``rapgym-benchmark --traces``)."""


def real_trace_glob(preset: str) -> str | None:
    """The glob of the real traces behind ``preset``'s calibrated uplink (under the shared data directory,
    :func:`rapgym.shared_data.shared_data_dir`), or ``None`` when the preset has no real set or the shared data
    is absent on this machine."""
    uplink = load_scenario(preset).uplink
    if not uplink.startswith("calibrated:"):
        return None
    pattern = str(shared_data_dir("traces", TRACE_SETS[uplink.partition(":")[2]].glob))
    return pattern if globbing.glob(pattern) else None


@dataclass(frozen=True)
class Cell:
    """One policy on one scenario variant for ``len(seeds)`` episodes of ``episode_slots`` slots."""

    preset: str
    traces: str
    """:data:`GENERATOR`, :data:`REAL_TEST` or :data:`OWN_TRACES`."""
    num_users: int
    policy: str
    """Policy spec (:func:`rapgym.evaluation.runner.resolve_policy`)."""
    seeds: tuple[int, ...]
    episode_slots: int
    trace_glob: str | None = None
    """Real traces of a :data:`REAL_TEST` cell (absolute glob), the folder or glob of an :data:`OWN_TRACES` cell,
    else ``None``."""
    trace_split: str = "test"
    """Split of the traces of a :data:`REAL_TEST` (always ``test``) or :data:`OWN_TRACES` cell."""
    trace_params: tuple[tuple[str, Any], ...] = ()
    """``(parameter, value)`` pairs of the ``traces`` uplink source of an :data:`OWN_TRACES` cell (how to read the files)."""

    @property
    def scenario(self) -> str:
        """The scenario variant: ``preset`` or ``preset@real-test``."""
        return self.preset if self.traces == GENERATOR else f"{self.preset}@{self.traces}"

    @property
    def key(self) -> str:
        """A file-name-safe, unique name of the cell (readable part plus a short hash of the whole spec)."""
        ident = f"{self.scenario}|{self.num_users}|{self.policy}"
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{self.scenario}_N{self.num_users}_{self.policy}")[-80:]
        return f"{readable}-{sha1(ident.encode()).hexdigest()[:8]}"

    def overrides(self) -> dict[str, Any]:
        """Scenario overrides of the cell's env."""
        extra: dict[str, Any] = {"num_users": self.num_users, "episode_slots": self.episode_slots}
        if self.traces == REAL_TEST:
            extra.update(trace_dir=self.trace_glob, trace_split="test")
        elif self.traces == OWN_TRACES:
            extra.update(uplink="traces", uplink_params=dict(self.trace_params), trace_dir=self.trace_glob,
                         trace_split=self.trace_split)
        return extra


@dataclass(frozen=True)
class Protocol:
    """Everything that decides the benchmark's numbers.

    Args:
        presets: preset names (default: every preset).
        users: the values of N.
        policies: policy specs played on every scenario variant.
        agents: saved-agent spec -> ``(preset, N)`` it was trained for; an agent is played only there (its
            observation size depends on N), on the generator and the real split.
        episodes: episodes (test seeds) per cell.
        episode_slots: slots per episode.
        real_traces: add the real-trace test split of every preset that has one (when the shared data is present).
        plugins: ``"module:function"`` hooks called in each worker before its policies are resolved (e.g. the
            saved-agent resolver of ``rapgym.learning``; evaluation never imports learning).
        own_traces: your own traces, played in place of the generator and real-trace variants: ``{"trace_dir":
            folder or glob, "trace_split": split, "uplink_params": options of the traces source}`` (empty: none).
    """

    presets: tuple[str, ...] = ()
    users: tuple[int, ...] = (1, 4, 8, 16)
    policies: tuple[str, ...] = SUITE_POLICIES
    agents: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    episodes: int = 12
    episode_slots: int = 200
    real_traces: bool = True
    plugins: tuple[str, ...] = ()
    own_traces: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        presets = self.presets or tuple(available_scenarios())
        object.__setattr__(self, "presets", presets)
        unknown = sorted(set(presets) - set(available_scenarios()))
        if unknown:
            raise BenchmarkError(f"unknown preset(s) {unknown}; allowed: {', '.join(available_scenarios())}")
        for name, value, low in (("episodes", self.episodes, 1), ("episode_slots", self.episode_slots, 1)):
            if value < low:
                raise BenchmarkError(f"{name} must be >= {low}, got {value}")
        if not self.users or min(self.users) < 1:
            raise BenchmarkError(f"users must be a non-empty list of N >= 1, got {list(self.users)}")
        if not self.policies and not self.agents:
            raise BenchmarkError("the protocol needs at least one policy or agent")
        if self.own_traces:
            self._check_own_traces()

    def _check_own_traces(self) -> None:
        """Load the own traces once with the first preset, so a bad folder or option fails before any cell."""
        keys = {"trace_dir", "trace_split", "uplink_params"}
        if set(self.own_traces) != keys:
            raise BenchmarkError(f"own_traces must have exactly the keys {sorted(keys)}, got {sorted(self.own_traces)}")
        try:
            load_scenario(self.presets[0], uplink="traces", **self.own_traces)
        except ScenarioError as exc:
            raise BenchmarkError(f"--traces: {exc}") from None

    @property
    def seeds(self) -> tuple[int, ...]:
        """The test seeds, one episode each."""
        return tuple(range(SUITE_SEED_BASE, SUITE_SEED_BASE + self.episodes))

    def variants(self) -> list[tuple[str, str, str | None]]:
        """``(preset, traces, trace glob)`` of every scenario variant, presets in order, generator first; the
        real split only where the preset has a real set and the shared data is present."""
        if self.own_traces:
            return [(preset, OWN_TRACES, str(self.own_traces["trace_dir"])) for preset in self.presets]
        out: list[tuple[str, str, str | None]] = []
        for preset in self.presets:
            out.append((preset, GENERATOR, None))
            pattern = real_trace_glob(preset) if self.real_traces else None
            if pattern is not None:
                out.append((preset, REAL_TEST, pattern))
        return out

    def missing_real_sets(self) -> list[str]:
        """Presets with a calibrated real set whose traces are absent here (their real-test cells are skipped)."""
        if not self.real_traces or self.own_traces:
            return []
        return [p for p in self.presets if load_scenario(p).uplink.startswith("calibrated:") and real_trace_glob(p) is None]

    def cells(self) -> list[Cell]:
        """Every cell: variants x N x (policies, then the agents trained for that preset and N)."""
        out = []
        for preset, traces, pattern in self.variants():
            for n in self.users:
                specs = list(self.policies) + [a for a, (p, an) in self.agents.items() if p == preset and an == n]
                out += [Cell(preset, traces, n, spec, self.seeds, self.episode_slots, pattern, *self._trace_spec(traces))
                        for spec in specs]
        return out

    def _trace_spec(self, traces: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """``(trace_split, trace_params)`` of a cell of bandwidth source ``traces``."""
        if traces != OWN_TRACES:
            return "test", ()
        return str(self.own_traces["trace_split"]), tuple(sorted(dict(self.own_traces["uplink_params"]).items()))

    def settings(self) -> dict[str, Any]:
        """The protocol as plain JSON-able data (stored with a run; compared on resume; ``own_traces`` only when set,
        so a run stored before it existed resumes)."""
        own = {"own_traces": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.own_traces.items()}} if self.own_traces else {}
        return {**own, "presets": list(self.presets), "users": list(self.users), "policies": list(self.policies),
                "agents": {k: list(v) for k, v in self.agents.items()}, "episodes": self.episodes,
                "episode_slots": self.episode_slots, "seed_base": SUITE_SEED_BASE, "real_traces": self.real_traces,
                "real_sets": [p for p, t, _ in self.variants() if t == REAL_TEST]}


def settings_difference(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """``"key: stored X, now Y"`` for every setting that differs (empty when the settings agree)."""
    return [f"{key}: stored {stored.get(key)!r}, now {current.get(key)!r}"
            for key in sorted(set(stored) | set(current)) if stored.get(key) != current.get(key)]


def check_specs_known(specs: Sequence[str], resolve: Any) -> None:
    """Resolve every spec once (before any cell runs) so an unknown policy or import path fails the run early.

    Raises:
        BenchmarkError: naming the spec and the resolver's reason.
    """
    for spec in specs:
        try:
            resolve(spec)
        except ValueError as exc:
            raise BenchmarkError(f"policy {spec!r}: {exc}") from None
