"""Every docstring example in the four packages runs, under ``make test``."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.support.modules import module_files

WITH_EXAMPLES = sorted(name for name, path in module_files().items() if ">>> " in path.read_text())


def test_examples_are_found_in_every_package() -> None:
    assert {name.partition(".")[0] for name in WITH_EXAMPLES} == {
        "civicdata",
        "consent",
        "anonymise",
        "policies",
    }


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has '>>> ' outside any docstring doctest finds"
    assert result.failed == 0
