"""The real trace sets, declared once, and :class:`TraceSet`, an ordered file set with a train/test split.

Each :class:`RealTraceSet` names where its files lie under the shared ``traces/`` data directory, their
format (:data:`rapgym.traces.loaders.FORMATS`), where they come from and under what license (from the
data directory's README), and the file of fitted parameters of its calibrated generator
(:mod:`rapgym.traces.generators`).
"""

from __future__ import annotations

import glob
import warnings
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from rapgym.errors import TraceError
from rapgym.traces.loaders import FORMATS, load_traces
from rapgym.traces.trace import BandwidthTrace

__all__ = ["NON_TRACE_FILES", "TRACE_SETS", "RealTraceSet", "TraceFilesSkipped", "TraceSet", "real_set"]

NON_TRACE_FILES = ("readme*", "license*", "licence*", "copying*", "notice*", "changelog*", "citation*", "authors*",
                   "*.md", "*.rst", "*.pdf", "*.htm", "*.html", "*.py", "*.ipynb", "*.sh", "*.yml", "*.yaml", "*.toml",
                   "*.cfg", "*.ini", "*.zip", "*.gz", "*.bz2", "*.xz", "*.tar", "*.7z", "*.png", "*.jpg", "*.jpeg",
                   "*.gif", "*.svg")
"""Name patterns (case ignored) of files a trace folder may hold beside its traces; they, hidden files and
everything in a hidden folder are skipped (:class:`TraceFilesSkipped`)."""


class TraceFilesSkipped(UserWarning):
    """A trace folder or glob held non-trace files (:data:`NON_TRACE_FILES`, hidden files); the message lists them."""


def _is_trace_file(path: Path, root: Path | None) -> bool:
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    name = path.name.lower()
    return not any(part.startswith(".") for part in parts) and not any(fnmatch(name, p) for p in NON_TRACE_FILES)


class TraceSet:
    """An ordered set of traces with a deterministic train/test split by trace.

    ``source`` is a directory (every file below it, recursively) or a glob pattern; files matching
    :data:`NON_TRACE_FILES`, hidden files and hidden folders are skipped and listed in one
    :class:`TraceFilesSkipped` warning. Files are sorted by path and each holds one trace or, for CSV and JSON,
    one per run (:func:`~rapgym.traces.loaders.load_traces`, with ``fmt`` and ``options``). Trace ``i`` (0-based,
    in that order) is in the test split when ``i % test_every == 0``, so a set of ``n >= 1`` traces has
    ``ceil(n / test_every)`` test traces and the split does not depend on the machine or on hashing.

    ``scale_to`` (Mbit/s) multiplies every rate by one factor so that the mean of the set, over all its traces,
    is ``scale_to``: the mean of the traces' time-averaged rates, each trace weighted alike (a link draws a trace
    uniformly and a uniform start in it). Train and test share the factor.
    """

    SPLITS = ("train", "test", "all")

    def __init__(self, source: str | Path, fmt: str = "auto", test_every: int = 5, scale_to: float | None = None,
                 **options: object) -> None:
        if test_every < 2:
            raise TraceError(f"{source}: test_every must be >= 2, got {test_every}")
        if fmt != "auto" and fmt not in FORMATS:
            raise TraceError(f"{source}: format {fmt!r} unknown; allowed: {['auto', *sorted(FORMATS)]}")
        if scale_to is not None and not (np.isfinite(scale_to) and scale_to > 0):
            raise TraceError(f"{source}: scale_to must be a finite mean rate > 0 Mbit/s, got {scale_to}")
        root = Path(source)
        if root.is_dir():
            found, base = [p for p in root.rglob("*") if p.is_file()], root
        else:
            found, base = [Path(p) for p in glob.glob(str(source)) if Path(p).is_file()], None
        files = [p for p in found if _is_trace_file(p, base)]
        skipped = sorted(str(p.relative_to(root) if base is not None else p) for p in found if not _is_trace_file(p, base))
        if not files:
            raise TraceError(f"{source}: no trace files found" + (f" (skipped non-trace files: {skipped[:10]})" if skipped else ""))
        if skipped:
            more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
            warnings.warn(f"{source}: skipped {len(skipped)} non-trace file(s): {skipped[:10]}{more}", TraceFilesSkipped,
                          stacklevel=2)
        self.source = str(source)
        self.files_all = sorted(files)
        self.fmt = fmt
        self.test_every = test_every
        self.scale_to = scale_to
        self.options = options

    def _check_split(self, split: str) -> None:
        if split not in self.SPLITS:
            raise TraceError(f"{self.source}: split {split!r} unknown; allowed: {list(self.SPLITS)}")

    def files(self, split: str = "all") -> list[Path]:
        """Files of ``split`` (``"train"``, ``"test"`` or ``"all"``), sorted, split by file (the split of
        :meth:`traces` when every file holds one trace, as in every shipped real set)."""
        self._check_split(split)
        if split == "all":
            return list(self.files_all)
        want_test = split == "test"
        return [p for i, p in enumerate(self.files_all) if (i % self.test_every == 0) == want_test]

    def traces(self, split: str = "all") -> list[BandwidthTrace]:
        """Load every trace of ``split`` (rescaled when ``scale_to`` is set)."""
        self._check_split(split)
        every = [t for p in self.files_all for t in load_traces(p, self.fmt, **self.options)]
        chosen = every if split == "all" else [t for i, t in enumerate(every) if (i % self.test_every == 0) == (split == "test")]
        if self.scale_to is None:
            return chosen
        mean = float(np.mean([t.mean_mbps for t in every]))
        if mean <= 0:
            raise TraceError(f"{self.source}: scale_to={self.scale_to}: the traces' mean rate is 0, nothing to scale")
        return [BandwidthTrace(t.edges, t.rates_mbps * (self.scale_to / mean), t.name) for t in chosen]


@dataclass(frozen=True)
class RealTraceSet:
    """One real trace set (``../shared/data/traces/README.md`` has its statistics and provenance in full)."""

    name: str
    """Key in :data:`TRACE_SETS`, also the calibrated source ``calibrated:<name>``."""
    description: str
    """Network, place and mobility of the measurements."""
    citation: str
    """The publication to cite."""
    origin: str
    """Where the files were copied from."""
    license: str
    """License of the data, as far as it is known."""
    glob: str
    """Files of the set, relative to the shared ``traces/`` data directory."""
    fmt: str
    """Loader format of every file (a key of :data:`rapgym.traces.loaders.FORMATS`)."""

    @property
    def params_file(self) -> str:
        """Fitted parameters of the set's calibrated generator, in ``rapgym/traces/data/trace_params/``."""
        return f"{self.name}.json"

    def trace_set(self, traces_dir: str | Path, **options: object) -> TraceSet:
        """The set's files under ``traces_dir`` (the shared ``traces/`` data directory)."""
        return TraceSet(Path(traces_dir) / self.glob, fmt=self.fmt, **options)


_LUMOS = dict(
    citation='A. Narayanan et al., "Lumos5G: Mapping and Predicting Commercial mmWave 5G Throughput", ACM IMC 2020',
    origin="GitHub SIGCOMM21-5G/artifact, Video-Streaming/Network-Traces/Lumous5G (commit 35aaf28)",
    license="CC BY 4.0 (Lumos5G 1.0 dataset)", fmt="two_column")

TRACE_SETS: dict[str, RealTraceSet] = {s.name: s for s in (
    RealTraceSet(
        "norway_hsdpa_3g", "3G/HSDPA, Oslo commute (bus, car, ferry, metro, train, tram); irregular ~1 s samples",
        citation='H. Riiser, P. Vigmostad, C. Griwodz, P. Halvorsen, "Commute Path Bandwidth Traces from 3G Networks: '
                 'Analysis and Applications", ACM MMSys 2013 (as cooked by Pensieve, SIGCOMM 2017)',
        origin="Pensieve cooked_test_traces via GitHub Ashitemaru/Adaptive-ABR (commit 551b941)",
        license="none stated for the data", glob="norway_hsdpa_3g/*", fmt="two_column"),
    RealTraceSet(
        "nyu_mets_lte", "LTE, New York City (bus, subway, ferry, car, rail); iperf, 1 s samples",
        citation='L. Mei et al., "Realtime Mobile Bandwidth Prediction using LSTM Neural Networks", PAM 2019',
        origin="NYU-METS via GitHub Ashitemaru/Adaptive-ABR (commit 551b941)",
        license="ODbL 1.0, contents DbCL 1.0", glob="nyu_mets_lte/*/*.csv", fmt="nyu_mets"),
    RealTraceSet("lumos5g_4g", "Verizon 4G LTE, Minneapolis, walking and driving; 1 s samples",
                 glob="lumos5g_verizon_4g5g/4G/*", **_LUMOS),
    RealTraceSet("lumos5g_5g", "Verizon mmWave 5G, Minneapolis, walking and driving; 1 s samples",
                 glob="lumos5g_verizon_4g5g/5G/*", **_LUMOS),
    RealTraceSet(
        "mahimahi_uplink", "US LTE (Verizon, T-Mobile, AT&T) and T-Mobile UMTS uplinks; packet delivery opportunities",
        citation='K. Winstein, A. Sivaraman, H. Balakrishnan, "Stochastic Forecasts Achieve High Throughput and Low '
                 'Delay over Cellular Networks", USENIX NSDI 2013',
        origin="GitHub ravinet/mahimahi, traces/ (commit ae477d4)",
        license="GPL-3.0 (repository; no separate data license)", glob="mahimahi_us_cellular/*.up", fmt="mahimahi"),
    RealTraceSet(
        "irish_5g", "Irish operator, 5G NSA / LTE / HSPA+ mixed, static and driving; G-NetTrack download logs",
        citation='D. Raca, D. Leahy, C. J. Sreenan, J. J. Quinlan, "Beyond Throughput, The Next Generation: A 5G '
                 'Dataset with Channel and Context Metrics", ACM MMSys 2020',
        origin="UCC 5G production dataset via GitHub Ashitemaru/Adaptive-ABR (commit 551b941)",
        license="none stated", glob="irish_5g_ucc/Download/*/*.csv", fmt="gnettrack"),
)}
"""Every real trace set, by name."""


def real_set(name: str, traces_dir: str | Path, **options: object) -> TraceSet:
    """The :class:`TraceSet` of real set ``name`` (a key of :data:`TRACE_SETS`) under ``traces_dir``."""
    if name not in TRACE_SETS:
        raise TraceError(f"real trace set {name!r} unknown; allowed: {sorted(TRACE_SETS)}")
    return TRACE_SETS[name].trace_set(traces_dir, **options)
