"""The purposes file: plain-language notices in two languages, validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from consent.purposes import DEMO_PURPOSES, PurposesError, load_purposes
from policies.catalog import load_catalog


def test_demo_purposes_cover_catalog_datasets_in_two_languages() -> None:
    catalog = load_catalog()
    purposes = load_purposes(
        DEMO_PURPOSES, datasets=set(catalog.datasets), departments=set(catalog.departments)
    )
    assert {"en", "ca"} <= set(purposes["transport-planning"].notice)
    covered = {ds for p in purposes.values() for ds in p.datasets}
    assert covered <= set(catalog.datasets)
    assert purposes["community-health"].legal_basis == "dpv:ExplicitlyExpressedConsent"


def test_notice_hash_changes_with_the_text_only() -> None:
    purposes = load_purposes()
    p = purposes["energy-efficiency"]
    same = load_purposes()["energy-efficiency"]
    assert p.notice_hash == same.notice_hash
    from dataclasses import replace

    from consent.purposes import NoticeText

    edited = replace(p, notice={**p.notice, "en": NoticeText(p.notice["en"].title, "Changed.")})
    assert edited.notice_hash != p.notice_hash


def test_errors_name_purpose_and_field_all_at_once(tmp_path: Path) -> None:
    doc = yaml.safe_load(DEMO_PURPOSES.read_text())
    doc["purposes"]["transport-planning"]["legal_basis"] = "because"
    del doc["purposes"]["energy-efficiency"]["notice"]["ca"]
    doc["purposes"]["water-management"]["datasets"] = ["sewage"]
    doc["purposes"]["library-services"]["controller"] = "nobody"
    path = tmp_path / "purposes.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    catalog = load_catalog()
    with pytest.raises(PurposesError) as err:
        load_purposes(path, datasets=set(catalog.datasets), departments=set(catalog.departments))
    text = str(err.value)
    assert "purposes.transport-planning.legal_basis" in text
    # The schema error stops before cross-checks; fix it and the rest appear together.
    doc["purposes"]["transport-planning"]["legal_basis"] = "dpv:Consent"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(PurposesError) as err:
        load_purposes(path, datasets=set(catalog.datasets), departments=set(catalog.departments))
    problems = "\n".join(err.value.problems)
    assert "purposes.energy-efficiency.notice: missing language(s) ca" in problems
    assert "purposes.water-management.datasets: unknown dataset 'sewage'" in problems
    assert "purposes.library-services.controller: unknown department 'nobody'" in problems
