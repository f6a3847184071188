"""The README's layout section names exactly the modules and sub-packages in the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"(?<![\w/])[a-z_][a-z0-9_]*(?:\.py\b|/)")


def layout_block(readme: str) -> list[str]:
    """The lines of the code block under ``## Layout``."""
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1].strip("\n").splitlines()


def platform_names(lines: list[str]) -> set[str]:
    """``x.py`` and ``x/`` named on the indented (``platform/``) lines."""
    return {name for line in lines if line.startswith("  ") for name in NAME.findall(line)}


def tree_names() -> set[str]:
    folder = ROOT / "platform"
    modules = {p.name for p in folder.glob("*.py")}
    packages = {p.parent.name + "/" for p in folder.glob("*/__init__.py")}
    return modules | packages


def test_the_layout_lists_every_platform_module_and_sub_package_and_nothing_else() -> None:
    named = platform_names(layout_block((ROOT / "README.md").read_text()))
    tree = tree_names()
    assert not tree - named, f"add to the README's layout: {sorted(tree - named)}"
    assert not named - tree - {"consent/"}, f"not in the tree: {sorted(named - tree)}"


def test_the_layout_names_the_top_level_folders_that_exist() -> None:
    lines = layout_block((ROOT / "README.md").read_text())
    top = {line.split()[0] for line in lines if not line.startswith(" ")}
    assert top == {"platform/", "consent/", "anonymise/", "policies/", "tests/"}
    assert all((ROOT / name).is_dir() for name in top)


def test_a_missing_or_stale_name_is_noticed() -> None:
    lines = ["platform/  the service", "  app.py  factory   gone.py  stale", "  web/  pages"]
    assert platform_names(lines) == {"app.py", "gone.py", "web/"}
