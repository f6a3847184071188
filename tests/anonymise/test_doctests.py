"""The examples in the anonymise package's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "accuracy",
    "canonical",
    "components",
    "measures.histogram",
    "planning",
    "bounding",
    "privacy_loss",
    "query",
    "sensitivity",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"anonymise.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
