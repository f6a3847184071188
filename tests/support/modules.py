"""Every module of the four packages, by the name it is imported under."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "civicdata": ROOT / "platform",
    "consent": ROOT / "consent",
    "anonymise": ROOT / "anonymise",
    "policies": ROOT / "policies",
}


def module_files(packages: Mapping[str, Path] = PACKAGES) -> dict[str, Path]:
    """Every module's dotted name and file; folders without ``__init__.py`` are data."""
    found: dict[str, Path] = {}
    for name, folder in packages.items():
        for source in sorted(folder.rglob("*.py")):
            rel = source.relative_to(folder)
            folders = (folder.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts)))
            if not all((sub / "__init__.py").exists() for sub in folders):
                continue  # e.g. migrations/versions: loaded by Alembic, not imported
            parts = rel.with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((name, *parts))] = source
    return found
