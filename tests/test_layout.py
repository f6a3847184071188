"""The repository layout keeps the standard library's ``platform`` usable."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import platform, civicdata.app; print(platform.system(), civicdata.app.__file__)"


def test_stdlib_platform_works_in_this_process() -> None:
    import platform

    assert platform.system()  # would raise AttributeError if shadowed by platform/
    assert not (ROOT / "platform" / "__init__.py").exists()


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-c", PROBE], [sys.executable, "-m", "pytest", "--version"]],
    ids=["python", "python-m-pytest"],
)
def test_stdlib_platform_works_from_repository_root(command: list[str]) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    if command[1] == "-c":
        system, app_file = result.stdout.split()
        assert system
        assert Path(app_file) == ROOT / "platform" / "app.py"


def test_python_m_pytest_from_root_imports_stdlib_platform(tmp_path: Path) -> None:
    """Run a tiny test under ``python -m pytest`` from the root (root on sys.path)."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("import platform\n\ndef test_probe():\n    assert platform.system()\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set()
    for init in (ROOT / "platform").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT / "platform")
        if "versions" not in rel.parts:
            found.add(".".join(("civicdata", *rel.parts)))
    found |= {"civicdata", "consent", "anonymise", "policies"}
    for pkg in ("consent", "anonymise", "policies"):
        for init in (ROOT / pkg).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    assert found <= listed, f"add to pyproject packages: {sorted(found - listed)}"


@pytest.mark.parametrize("package", ["consent", "anonymise", "policies"])
def test_domain_packages_import_neither_flask_nor_civicdata(package: str) -> None:
    offenders = []
    for source in (ROOT / package).rglob("*.py"):
        for line in source.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and (
                " flask" in stripped or "civicdata" in stripped or "flask_" in stripped
            ):
                offenders.append(f"{source.relative_to(ROOT)}: {stripped}")
    assert not offenders
