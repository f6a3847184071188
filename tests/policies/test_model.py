"""Canonical form and content hash of policy sets; a department's own policies."""

from __future__ import annotations

import hashlib
import json

from policies.loader import DEMO_POLICIES, load_policy_set
from policies.model import PolicySet, policies_for_department
from tests.policies.helpers import transport_policy


def test_the_canonical_form_round_trips_and_hashes_its_bytes(catalog, purposes) -> None:
    policy_set = load_policy_set(DEMO_POLICIES, catalog, purposes)
    content = policy_set.canonical_json()
    assert PolicySet.from_canonical_json(content) == policy_set
    assert policy_set.content_hash == hashlib.sha256(content.encode()).hexdigest()
    document = json.loads(content)
    assert [p["id"] for p in document["policies"]] == sorted(p.id for p in policy_set.policies)
    assert document["city_caps"]["trips"] == {"epsilon": "6", "period": "P30D"}


def test_the_hash_ignores_layout_but_not_content(write_dir, catalog, purposes, tmp_path) -> None:
    one = load_policy_set(write_dir({"a.yaml": [transport_policy()]}), catalog, purposes)
    (tmp_path / "policies" / "a.yaml").rename(tmp_path / "policies" / "renamed.yaml")
    moved = load_policy_set(tmp_path / "policies", catalog, purposes)
    assert moved.content_hash == one.content_hash
    # 4.0 and 4 are the same amount
    same = load_policy_set(
        write_dir({"renamed.yaml": [transport_policy(budget={"epsilon": 4, "period": "P30D"})]}),
        catalog,
        purposes,
    )
    assert same.content_hash == one.content_hash
    changed = load_policy_set(
        write_dir({"renamed.yaml": [transport_policy(group_by=["district"])]}), catalog, purposes
    )
    assert changed.content_hash != one.content_hash


def test_a_department_sees_only_its_own_policies(catalog, purposes) -> None:
    policy_set = load_policy_set(DEMO_POLICIES, catalog, purposes)
    statistics = policies_for_department(policy_set, "statistics")
    assert {p.dataset for p in statistics} == {"demographics", "trips", "electricity", "water"}
    assert all(p.department == "statistics" for p in statistics)
    assert policies_for_department(policy_set, "police") == ()
