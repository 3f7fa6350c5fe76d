"""The README's "Using rapgym from other projects" examples of this package's integrations run as written."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.helpers import REPO

EXAMPLES = {
    "Gymnasium wrappers": None,
    "Compact Dict observation": None,
    "Stable-Baselines3": "stable_baselines3",
    "PettingZoo": "pettingzoo",
}
"""Bold title of each example in the section -> the optional module it needs (None: core install)."""


def readme_examples() -> dict[str, str]:
    """Title -> code of every titled Python example in the README's section."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Using rapgym from other projects\n", 1)[1].split("\n## ", 1)[0]
    return {title: code for title, code in re.findall(r"^\*\*([^*]+)\*\*.*?\n```python\n(.*?)```", section, re.M | re.S)}


def test_every_example_of_ours_is_in_the_readme():
    assert set(EXAMPLES) <= set(readme_examples())


@pytest.mark.parametrize("title", list(EXAMPLES))
def test_readme_example_runs(title, capsys):
    needs = EXAMPLES[title]
    if needs is not None and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{needs} is not installed (optional extra)")
    exec(compile(readme_examples()[title], f"README.md: {title}", "exec"), {})
    if title == "Compact Dict observation":
        assert capsys.readouterr().out.strip() == "(45,)"
