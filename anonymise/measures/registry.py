"""Every DP measure by name: the one vocabulary of queries, policies, planner, console and API.

The names are the policy language's (:data:`policies.measures.MEASURE_KINDS`,
which policies know without the engine, since ``anonymise`` builds on
``policies``): that table is the registry line. Each name is implemented by
the one :class:`~anonymise.measures.base.MeasureKind` subclass that declares
it, in a module of its own in this package, found here by walking the
package. Adding a measure is therefore its module and a line in
``MEASURE_KINDS``; a name without exactly one implementation, or an
implementation of a name policies do not know, fails at import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping

import anonymise.measures as package
from anonymise.measures.base import MeasureKind
from anonymise.query_values import Measure
from policies.measures import MEASURE_KINDS

_NOT_MEASURES = frozenset({"base", "registry"})


class RegistryError(RuntimeError):
    """The measures in this package do not match the policy vocabulary."""


def _declared() -> Iterator[type[MeasureKind]]:
    """The measure classes this package's modules define, each declaring its own name."""
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name in _NOT_MEASURES:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, MeasureKind)
                and value.__module__ == module.__name__
                and "name" in vars(value)
            ):
                yield value


def _registry() -> dict[str, MeasureKind]:
    """One instance per policy measure name, in the policy vocabulary's order."""
    found: dict[str, list[type[MeasureKind]]] = {}
    for cls in _declared():
        found.setdefault(cls.name, []).append(cls)
    unknown = sorted(set(found) - set(MEASURE_KINDS))
    if unknown:
        raise RegistryError(f"measures not in policies.measures.MEASURE_KINDS: {unknown}")
    problems = [name for name in MEASURE_KINDS if len(found.get(name, ())) != 1]
    if problems:
        raise RegistryError(f"measures without exactly one implementation: {problems}")
    return {name: found[name][0]() for name in MEASURE_KINDS}


MEASURES: Mapping[str, MeasureKind] = _registry()


def kind_of(measure: Measure) -> MeasureKind:
    """The kind of a validated measure."""
    return MEASURES[measure.kind]
