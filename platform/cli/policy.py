"""``civic policy check|test|explain``: the access policies, from the command line.

Each command reads a policy directory (default: ``policies/`` in the
instance's city directory) and the catalog and purposes beside it (or the
files given with ``--catalog`` and ``--purposes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError

from civicdata.cli.base import CivicContext, civic_error, pass_civic
from consent.purposes import Purpose, PurposesError, load_purposes
from policies.budget import Budgets, Cost, exact, text
from policies.cases import load_cases, run_cases
from policies.catalog import Catalog, CatalogError, load_catalog
from policies.evaluate import Decision, evaluate
from policies.loader import load_policy_set
from policies.model import PolicySet
from policies.problems import PolicyError, Problem, flatten
from policies.request import Request, parse_request

_PATH = click.Path(path_type=Path)


@dataclass(frozen=True)
class _Sources:
    directory: Path
    catalog: Catalog
    purposes: dict[str, Purpose]


def _sources(
    civic: CivicContext, directory: Path | None, catalog: Path | None, purposes: Path | None
) -> _Sources:
    city = civic.config.city_dir
    try:
        loaded_catalog = load_catalog(catalog or city / "catalog.yaml")
        loaded_purposes = load_purposes(
            purposes or city / "purposes.yaml",
            datasets=set(loaded_catalog.datasets),
            departments=set(loaded_catalog.departments),
        )
    except (CatalogError, PurposesError) as exc:
        raise civic_error(str(exc)) from None
    return _Sources(directory or city / "policies", loaded_catalog, loaded_purposes)


def _source_options(command: Any) -> Any:
    command = click.option("--purposes", type=_PATH, help="Purposes file (default: the city's).")(
        command
    )
    return click.option("--catalog", type=_PATH, help="Catalog file (default: the city's).")(
        command
    )


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}")
    click.echo(f"{len(problems)} problem(s) found")


@click.group()
def policy() -> None:
    """Access policies: check them, run their test cases, explain decisions."""


@policy.command("check")
@click.argument("directory", required=False, type=_PATH)
@_source_options
@pass_civic
def check(
    civic: CivicContext, directory: Path | None, catalog: Path | None, purposes: Path | None
) -> None:
    """Validate every policy file and test case in DIRECTORY; print every problem."""
    sources = _sources(civic, directory, catalog, purposes)
    problems: list[Problem] = []
    policy_set = None
    try:
        policy_set = load_policy_set(sources.directory, sources.catalog, sources.purposes)
    except PolicyError as exc:
        problems.extend(exc.problems)
    try:
        cases = load_cases(sources.directory)
    except PolicyError as exc:
        problems.extend(exc.problems)
        cases = []
    if problems or policy_set is None:
        _print_problems(problems)
        raise SystemExit(1)
    click.echo(
        f"ok: {len(policy_set.policies)} policies, {len(cases)} test case(s), "
        f"policy set {policy_set.content_hash}"
    )


@policy.command("test")
@click.argument("directory", required=False, type=_PATH)
@_source_options
@pass_civic
def test(
    civic: CivicContext, directory: Path | None, catalog: Path | None, purposes: Path | None
) -> None:
    """Run the test cases in DIRECTORY/tests against the policies in DIRECTORY."""
    sources = _sources(civic, directory, catalog, purposes)
    try:
        policy_set = load_policy_set(sources.directory, sources.catalog, sources.purposes)
        cases = load_cases(sources.directory)
    except PolicyError as exc:
        _print_problems(exc.problems)
        raise SystemExit(1) from None
    if not cases:
        raise civic_error(f"no test cases in {sources.directory / 'tests'}")
    results = run_cases(policy_set, cases)
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        line = f"{status} {result.case.file}: {result.case.name}"
        click.echo(line if result.passed else f"{line}\n     {result.detail}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


@policy.command("explain")
@click.option("--department", required=True)
@click.option("--dataset", required=True)
@click.option("--purpose", required=True)
@click.option(
    "--measure",
    "measures",
    multiple=True,
    required=True,
    help="KIND or KIND:FIELD, e.g. count or mean:duration_min (repeatable).",
)
@click.option("--group-by", "group_by", multiple=True, help="A field (repeatable).")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="FIELD:OP:VALUE[,VALUE], e.g. month:between:2025-01,2025-06 (repeatable).",
)
@click.option("--epsilon", required=True)
@click.option("--delta", default="0", show_default=True)
@click.option("--mechanism", default="laplace", show_default=True)
@click.option("--client", default="civic-cli", show_default=True)
@click.option("--at", "at", help="Evaluate at this ISO 8601 time (default: now).")
@click.option(
    "--spent",
    default="0",
    show_default=True,
    help="Epsilon already spent this period on the department's grants.",
)
@click.option(
    "--city-spent",
    default="0",
    show_default=True,
    help="Epsilon already spent this period under the dataset's city-wide cap.",
)
@click.option("--directory", type=_PATH, help="Policy directory (default: the city's).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@_source_options
@pass_civic
def explain(
    civic: CivicContext,
    department: str,
    dataset: str,
    purpose: str,
    measures: tuple[str, ...],
    group_by: tuple[str, ...],
    filters: tuple[str, ...],
    epsilon: str,
    delta: str,
    mechanism: str,
    client: str,
    at: str | None,
    spent: str,
    city_spent: str,
    directory: Path | None,
    as_json: bool,
    catalog: Path | None,
    purposes: Path | None,
) -> None:
    """Print the decision on a hypothetical request, with full budgets unless --spent."""
    sources = _sources(civic, directory, catalog, purposes)
    try:
        policy_set = load_policy_set(sources.directory, sources.catalog, sources.purposes)
    except PolicyError as exc:
        _print_problems(exc.problems)
        raise SystemExit(1) from None
    try:
        request = parse_request(
            {
                "department": department,
                "client": client,
                "purpose": purpose,
                "dataset": dataset,
                "measures": [_measure(m) for m in measures],
                "group_by": list(group_by),
                "filters": [_filter(f) for f in filters],
                "epsilon": epsilon,
                "delta": delta,
                "mechanism": mechanism,
            }
        )
        already, city_already = exact(spent), exact(city_spent)
    except ValidationError as exc:
        raise civic_error("; ".join(f"{f}: {m}" for f, m in flatten(exc.messages))) from None
    except ValueError as exc:
        raise civic_error(f"--spent/--city-spent: {exc}") from None
    now = _time(at)
    decision = evaluate(
        policy_set, request, _budgets(policy_set, request, already, city_already), now
    )
    if as_json:
        click.echo(json.dumps(decision.as_dict(), indent=2, default=str))
    else:
        _print_decision(decision)


def _measure(option: str) -> dict[str, str]:
    kind, _, field = option.partition(":")
    return {"kind": kind, "field": field} if field else {"kind": kind}


def _filter(option: str) -> dict[str, Any]:
    parts = option.split(":", 2)
    if len(parts) != 3:
        raise civic_error(f"--filter {option!r}: use FIELD:OP:VALUE")
    values = parts[2].split(",")
    return {"field": parts[0], "op": parts[1], "value": values if len(values) > 1 else values[0]}


def _time(option: str | None) -> datetime:
    if option is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(option)
    except ValueError:
        raise civic_error(f"--at {option!r} is not an ISO 8601 date-time") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _budgets(
    policy_set: PolicySet, request: Request, spent: Decimal, city_spent: Decimal
) -> Budgets:
    candidates = {
        p.id: Cost(spent)
        for p in policy_set.policies
        if p.department == request.department and p.dataset == request.dataset
    }
    return Budgets.from_spent(
        policy_set.grant_budgets(),
        policy_set.city_budgets(),
        spent_grants=candidates,
        spent_city={request.dataset: city_spent},
    )


def _print_decision(decision: Decision) -> None:
    if decision.failure is None:
        click.echo(f"ALLOW: {decision.explanation}")
    else:
        click.echo(f"DENY: {decision.failure.message}")
    if decision.failure is not None:
        click.echo(f"  failing clause: {decision.failure.clause} ({decision.failure.code})")
    for candidate in decision.candidates:
        why = "matched" if candidate.failure is None else candidate.failure.message
        click.echo(f"  candidate {candidate.policy_id}: {why}")
    if decision.grant_before is not None:
        after = (
            "" if decision.grant_after is None else f", after: {text(decision.grant_after.epsilon)}"
        )
        click.echo(f"  grant epsilon left before: {text(decision.grant_before.epsilon)}{after}")
    if decision.city_before is not None:
        after = "" if decision.city_after is None else f", after: {text(decision.city_after)}"
        click.echo(f"  city-wide epsilon left before: {text(decision.city_before)}{after}")
    click.echo(f"  policy set: {decision.policy_set_hash}")
