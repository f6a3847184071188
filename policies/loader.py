"""Load a directory of policy files into a checked :class:`PolicySet`.

Every ``*.yaml``/``*.yml`` file directly in the directory holds
``policies: [...]`` (see :mod:`policies.schema`); sub-folders (such as the
``tests/`` folder of policy test cases) are not policies. Every mistake in
every file is collected before anything is reported, then raised together as a
:class:`~policies.problems.PolicyError`.

>>> from policies.catalog import load_catalog
>>> from consent.purposes import load_purposes
>>> policy_set = load_policy_set(DEMO_POLICIES, load_catalog(), load_purposes())
>>> policy_set.get("transport-trips").department
'transport'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from consent.purposes import Purpose
from policies.budget import Cost, exact
from policies.catalog import Catalog, CatalogError, read_yaml
from policies.checks import check_policies
from policies.measures import FIELDLESS_MEASURES
from policies.model import DatasetCap, Policy, PolicySet
from policies.periods import parse_period
from policies.problems import PolicyError, Problem, flatten
from policies.schema import PolicySchema

DEMO_POLICIES = Path(__file__).resolve().parent / "city" / "policies"


def load_policy_set(
    directory: Path | str, catalog: Catalog, purposes: Mapping[str, Purpose]
) -> PolicySet:
    """Read, validate and cross-check every policy file in ``directory``."""
    policies, problems = read_policies(Path(directory))
    problems.extend(check_policies(policies, catalog, purposes))
    if problems:
        raise PolicyError(sorted(problems, key=lambda p: p.file))
    caps = {
        ds.id: DatasetCap(exact(ds.city_cap.epsilon), parse_period(ds.city_cap.period))
        for ds in catalog.datasets.values()
    }
    return PolicySet(tuple(sorted(policies, key=lambda p: p.id)), caps)


def policy_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def read_policies(directory: Path) -> tuple[list[Policy], list[Problem]]:
    """Parse every file; return the well-formed policies and the problems found."""
    if not directory.is_dir():
        return [], [Problem(str(directory), None, None, "is not a directory")]
    files = policy_files(directory)
    if not files:
        return [], [Problem(str(directory), None, None, "holds no *.yaml policy file")]
    policies: list[Policy] = []
    problems: list[Problem] = []
    for path in files:
        found, file_problems = _read_file(path, path.name)
        policies.extend(found)
        problems.extend(file_problems)
    return policies, problems


def _read_file(path: Path, name: str) -> tuple[list[Policy], list[Problem]]:
    try:
        raw = read_yaml(path)
    except CatalogError as exc:
        return [], [Problem(name, None, None, message) for message in exc.problems]
    if not isinstance(raw, dict) or not isinstance(raw.get("policies"), list):
        return [], [Problem(name, None, "policies", "the file must hold a list under 'policies:'")]
    problems = [
        Problem(name, None, str(key), "unknown key (only 'policies' is allowed)")
        for key in raw
        if key != "policies"
    ]
    policies: list[Policy] = []
    for index, entry in enumerate(raw["policies"]):
        label = _label(entry, index)
        if not isinstance(entry, dict):
            problems.append(Problem(name, label, None, "each policy must be a mapping"))
            continue
        try:
            data = PolicySchema().load(entry)
        except ValidationError as exc:
            problems.extend(Problem(name, label, f, m) for f, m in flatten(exc.messages))
            data = exc.valid_data if _complete(exc.valid_data) else None
        if data is not None:
            policies.append(build_policy(data, name))
    return policies, problems


def _complete(data: Any) -> bool:
    """Whether every field survived validation (the errors were elsewhere, e.g. unknown keys).

    Such a policy is still cross-checked, so one run reports all of its mistakes.
    """
    if not isinstance(data, dict) or not set(PolicySchema().fields) <= set(data):
        return False
    budget = data["budget"]
    return isinstance(budget, dict) and {"epsilon", "delta", "period"} <= set(budget)


def _label(entry: Any, index: int) -> str:
    """The policy's id if it has a usable one, otherwise its position in the file."""
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        return str(entry["id"])
    return f"#{index + 1}"


def build_policy(data: dict[str, Any], source: str) -> Policy:
    """A :class:`Policy` from :class:`PolicySchema`-loaded data."""
    measures: dict[str, tuple[str, ...]] = {}
    for kind, allowed in data["measures"].items():
        if kind in FIELDLESS_MEASURES and allowed:
            measures[kind] = ()
        elif kind not in FIELDLESS_MEASURES and allowed:
            measures[kind] = tuple(allowed)
    budget = data["budget"]
    return Policy(
        id=data["id"],
        department=data["department"],
        dataset=data["dataset"],
        purpose=data["purpose"],
        description=data["description"],
        measures=measures,
        group_by=tuple(data["group_by"]),
        filters={name: tuple(ops) for name, ops in data["filters"].items()},
        mechanism=data["mechanism"],
        max_epsilon_per_query=data["max_epsilon_per_query"],
        budget=Cost(budget["epsilon"], budget["delta"]),
        period=parse_period(budget["period"]),
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        approvers=tuple(data["approvers"]),
        max_records_per_citizen=data["max_records_per_citizen"],
        public=data["public"],
        source=source,
    )
