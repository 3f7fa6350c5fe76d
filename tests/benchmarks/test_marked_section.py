"""The benchmarks' one output rule: ``--write FILE`` replaces only the script's own marked section."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from marked_section import markers, publish, write_section  # noqa: E402


def test_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "r.md"
    b, e = markers("bench_x")
    ob, oe = markers("other")
    path.write_text(f"# Title\n\n{b}\nold\n{e}\n\nprose\n{ob}\nkeep\n{oe}\n")
    write_section(path, "bench_x", "new line\n")
    assert path.read_text() == f"# Title\n\n{b}\nnew line\n{e}\n\nprose\n{ob}\nkeep\n{oe}\n"


def test_appends_when_absent_and_creates_a_new_file(tmp_path):
    path = tmp_path / "new.md"
    write_section(path, "s", "a\n")
    b, e = markers("s")
    assert path.read_text() == f"{b}\na\n{e}\n"
    write_section(path, "t", "b")
    tb, te = markers("t")
    assert path.read_text() == f"{b}\na\n{e}\n\n{tb}\nb\n{te}\n"


def test_begin_marker_without_end_is_refused(tmp_path):
    path = tmp_path / "bad.md"
    b, _ = markers("s")
    path.write_text(f"{b}\nno end\n")
    with pytest.raises(ValueError, match="has no"):
        write_section(path, "s", "x")


def test_publish_prints_and_writes_only_when_asked(tmp_path, capsys):
    publish("figures\n", "s", None)
    assert capsys.readouterr().out == "figures\n"
    assert not list(tmp_path.iterdir())
    path = tmp_path / "out.md"
    publish("figures\n", "s", path)
    assert "figures" in path.read_text()
