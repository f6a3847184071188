"""Invariant 3: noise comes from OpenDP only.

No module of the DP engine may draw random numbers itself (Python's
``random``, NumPy's generators, SciPy's distributions): those samplers are not
safe against floating-point attacks. The one use of randomness outside OpenDP
is the salt of the per-citizen group pre-order (``secrets``), which picks
*which* records a citizen keeps, never how much noise is added; OpenDP still
enforces and charges the bound.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "anonymise"
FORBIDDEN_MODULES = {"random", "numpy.random", "scipy.stats"}
FORBIDDEN_ATTRIBUTES = {"random", "laplace", "normal", "default_rng", "exponential", "gumbel"}


def _violations(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{name}: import {a.name}" for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_MODULES | {
            "numpy",
            "scipy",
        }:
            if node.module in FORBIDDEN_MODULES or any(a.name == "random" for a in node.names):
                found.append(f"{name}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            if isinstance(node.value, ast.Name) and node.value.id in {"np", "numpy", "random"}:
                found.append(f"{name}: {node.value.id}.{node.attr}")
            if isinstance(node.value, ast.Attribute) and node.value.attr == "random":
                found.append(f"{name}: ...random.{node.attr}")
    return found


def test_the_engine_draws_no_noise_of_its_own() -> None:
    problems = [
        v for path in PACKAGE.glob("*.py") for v in _violations(path.read_text(), path.name)
    ]
    assert problems == []


def test_the_check_catches_hand_written_laplace_noise() -> None:
    sneaky = "import numpy as np\n\ndef noisy(x, b):\n    return x + np.random.laplace(0, b)\n"
    assert "sneaky.py: ...random.laplace" in _violations(sneaky, "sneaky.py")
    assert _violations("import random\nrandom.random()\n", "r.py")
    assert _violations("from numpy.random import default_rng\n", "g.py")
