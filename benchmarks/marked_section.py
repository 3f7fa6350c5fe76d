"""The benchmarks' one output rule: print the results; ``--write FILE`` replaces only the script's own section.

A script's section of a Markdown file lies between ``<!-- <script>:begin -->`` and ``<!-- <script>:end -->``
(``<script>`` is the file name without ``.py``); the rest of the file is left as it is. A file without the
markers gets the section appended. The scripts run as ``python benchmarks/<script>.py``, so this sibling
module is importable as ``marked_section``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

__all__ = ["add_write_argument", "markers", "publish", "write_section"]


def markers(script: str) -> tuple[str, str]:
    """The begin and end markers of ``script``'s section (``script``: file name without ``.py``)."""
    return f"<!-- {script}:begin -->", f"<!-- {script}:end -->"


def add_write_argument(parser: argparse.ArgumentParser, script: str) -> None:
    """Add ``--write FILE`` (default none: print only) to a benchmark's argument parser."""
    begin, end = markers(script)
    parser.add_argument("--write", type=Path, default=None, metavar="FILE",
                        help=f"Markdown file whose section between {begin} and {end} is replaced (appended when absent)")


def write_section(path: Path, script: str, text: str) -> None:
    """Replace ``script``'s marked section of ``path`` with ``text`` (appended, or a new file, when absent).

    Raises:
        ValueError: the file holds a begin marker without its end marker after it.
    """
    begin, end = markers(script)
    block = f"{begin}\n{text.rstrip(chr(10))}\n{end}"
    old = path.read_text() if path.exists() else ""
    if begin in old:
        pattern = re.escape(begin) + ".*?" + re.escape(end)
        if re.search(pattern, old, flags=re.S) is None:
            raise ValueError(f"{path}: marker {begin!r} has no {end!r} after it")
        new = re.sub(pattern, lambda _: block, old, count=1, flags=re.S)
    else:
        new = old + ("\n" if old else "") + block + "\n"
    path.write_text(new)


def publish(text: str, script: str, write: Path | None) -> None:
    """Print ``text`` and, when ``write`` (the ``--write FILE`` argument) is given, make it ``script``'s section."""
    print(text.rstrip("\n"))
    if write is not None:
        write_section(write, script, text)
