"""The examples in the policies package's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["budget", "periods", "problems", "loader", "request", "evaluate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"policies.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
