"""The purposes catalog: what citizens are asked to consent to, in plain words.

A YAML file lists each purpose with its controller department, the datasets it
covers, its legal basis (a DPV term), retention, how long a consent stays valid
and a notice in several languages. The notice's content hash identifies its
text: when the text changes, the platform records a new notice version.

>>> purposes = load_purposes(DEMO_PURPOSES)
>>> purposes["transport-planning"].datasets
('trips',)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from dateutil.relativedelta import relativedelta
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from consent.schema_errors import flatten_errors

DEMO_PURPOSES = Path(__file__).resolve().parent.parent / "policies" / "city" / "purposes.yaml"
LANGUAGES = ("en", "ca", "es")  # every notice is in each; the portal shows the same three
LEGAL_BASES = (
    "dpv:Consent",
    "dpv:ExplicitlyExpressedConsent",
    "dpv:PublicInterest",
    "dpv:OfficialAuthorityOfController",
    "dpv:LegalObligation",
)
# The legal bases that are consent; under the others a citizen has a right to object (Art. 21).
CONSENT_BASES = frozenset({"dpv:Consent", "dpv:ExplicitlyExpressedConsent"})
DURATION = r"^P(\d+Y)?(\d+M)?(\d+D)?$"
IDENTIFIER = r"^[a-z][a-z0-9_\-]{0,62}$"


class PurposesError(ValueError):
    """The purposes file is invalid; ``problems`` lists every mistake found."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class NoticeText:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Purpose:
    """A purpose as declared; ``notice_hash`` identifies the current notice text."""

    id: str
    controller: str
    datasets: tuple[str, ...]
    legal_basis: str
    retention: str
    consent_validity: str
    material_change: bool
    notice: dict[str, NoticeText]

    @property
    def notice_hash(self) -> str:
        """SHA-256 of the canonical notice text in every language."""
        canonical = json.dumps(
            {lang: [n.title, n.text] for lang, n in sorted(self.notice.items())},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def consent_valid_until(self, given_at: datetime) -> datetime:
        """When a consent given at ``given_at`` lapses: ``consent_validity`` later.

        Months and years follow the calendar (31 January + P1M is 28 or 29 February).

        >>> from dataclasses import replace
        >>> p = replace(load_purposes()["transport-planning"], consent_validity="P1M")
        >>> p.consent_valid_until(datetime(2025, 1, 31)).date().isoformat()
        '2025-02-28'
        """
        match = re.fullmatch(DURATION, self.consent_validity)
        if match is None:
            raise ValueError(
                f"{self.id}: consent_validity {self.consent_validity!r} is not PnYnMnD"
            )
        years, months, days = (int(part[:-1]) if part else 0 for part in match.groups())
        return given_at + relativedelta(years=years, months=months, days=days)


class _TextSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class _PurposeSchema(Schema):
    class Meta:
        unknown = RAISE

    controller = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    datasets = fields.List(
        fields.String(validate=validate.Regexp(IDENTIFIER)),
        required=True,
        validate=validate.Length(min=1),
    )
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    retention = fields.String(required=True, validate=validate.Regexp(DURATION))
    consent_validity = fields.String(required=True, validate=validate.Regexp(DURATION))
    material_change = fields.Boolean(load_default=False)
    notice = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.Nested(_TextSchema),
        required=True,
    )


class _FileSchema(Schema):
    class Meta:
        unknown = RAISE

    purposes = fields.Dict(
        keys=fields.String(validate=validate.Regexp(IDENTIFIER)),
        values=fields.Nested(_PurposeSchema),
        required=True,
    )


def load_purposes(
    path: Path | str = DEMO_PURPOSES,
    datasets: set[str] | None = None,
    departments: set[str] | None = None,
) -> dict[str, Purpose]:
    """Load and validate the purposes; cross-check datasets and departments if given."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PurposesError(path, [f"not valid YAML: {exc}"]) from None
    except OSError as exc:
        raise PurposesError(path, [f"cannot read: {exc.strerror}"]) from None
    try:
        data = _FileSchema().load(raw if raw is not None else {})
    except ValidationError as exc:
        raise PurposesError(path, flatten_errors(exc.messages)) from None
    problems: list[str] = []
    purposes: dict[str, Purpose] = {}
    for pid, p in data["purposes"].items():
        where = f"purposes.{pid}"
        missing = [lang for lang in LANGUAGES if lang not in p["notice"]]
        if missing:
            problems.append(f"{where}.notice: missing language(s) {', '.join(missing)}")
        if departments is not None and p["controller"] not in departments:
            problems.append(f"{where}.controller: unknown department {p['controller']!r}")
        for ds in p["datasets"]:
            if datasets is not None and ds not in datasets:
                problems.append(f"{where}.datasets: unknown dataset {ds!r}")
        purposes[pid] = Purpose(
            id=pid,
            controller=p["controller"],
            datasets=tuple(p["datasets"]),
            legal_basis=p["legal_basis"],
            retention=p["retention"],
            consent_validity=p["consent_validity"],
            material_change=p["material_change"],
            notice={lang: NoticeText(**t) for lang, t in p["notice"].items()},
        )
    if problems:
        raise PurposesError(path, problems)
    return purposes
