"""Fixtures for the policies tests: the demo catalog and purposes, policy directories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from consent.purposes import Purpose, load_purposes
from policies.catalog import Catalog, load_catalog

WriteDir = Callable[..., Path]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def purposes() -> dict[str, Purpose]:
    return load_purposes()


@pytest.fixture
def write_dir(tmp_path: Path) -> WriteDir:
    """Write ``{file name: [policy entries]}`` (or raw text) into a fresh directory."""

    def write(files: dict[str, list[dict[str, Any]] | str], cases: str | None = None) -> Path:
        directory = tmp_path / "policies"
        directory.mkdir(exist_ok=True)
        for name, content in files.items():
            text = content if isinstance(content, str) else yaml.safe_dump({"policies": content})
            (directory / name).write_text(text, encoding="utf-8")
        if cases is not None:
            (directory / "tests").mkdir(exist_ok=True)
            (directory / "tests" / "cases.yaml").write_text(cases, encoding="utf-8")
        return directory

    return write
