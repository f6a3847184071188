"""The dataset catalog loads, and every mistake in it is named at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policies.catalog import (
    DEMO_CATALOG,
    CatalogError,
    TimeBucket,
    load_catalog,
    month_index,
    month_label,
)


def test_demo_catalog_loads_with_public_domains() -> None:
    catalog = load_catalog(DEMO_CATALOG)
    trips = catalog.datasets["trips"]
    assert trips.fields["district"].domain[0] == "Northbank"
    assert trips.fields["month"].public_keys()[:2] == ("2025-01", "2025-02")
    assert len(trips.fields["month"].public_keys()) == 24
    assert not trips.fields["duration_min"].groupable
    assert catalog.datasets["clinic_visits"].special_category
    assert "police" in catalog.departments


def test_month_index_round_trips() -> None:
    for label in ("2025-01", "2025-12", "2026-06"):
        assert month_label(month_index(label)) == label
    assert month_index("2025-02") - month_index("2025-01") == 1


def _write(tmp_path: Path, mutate) -> Path:
    doc = yaml.safe_load(DEMO_CATALOG.read_text())
    mutate(doc)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_every_mistake_is_reported_in_one_go_naming_file_and_field(tmp_path: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["datasets"]["trips"]["fields"]["mode"]["type"] = "colour"
        doc["datasets"]["trips"]["fields"]["duration_min"]["max"] = -1
        doc["datasets"]["water"]["surprise"] = True
        doc["datasets"]["energy_x"] = {"title": "x"}

    path = _write(tmp_path, mutate)
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    text = str(err.value)
    assert str(path) in text
    assert "datasets.trips.fields.mode.type" in text
    assert "datasets.trips.fields.duration_min.max" in text
    assert "datasets.water.surprise" in text and "Unknown field" in text
    assert "datasets.energy_x.subject_reference" in text
    assert len(err.value.problems) >= 4


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (
            lambda d: d["datasets"]["trips"]["fields"]["district"].update(domain_ref="nowhere"),
            "domain_ref",
        ),
        (
            lambda d: d["datasets"]["trips"]["fields"]["duration_min"].update(groupable=True),
            "groupable",
        ),
        (lambda d: d["departments"].append({"id": "transport", "name": "Again"}), "duplicate"),
        (lambda d: d["datasets"]["trips"]["fields"]["month"].update(min="2027-01"), "after max"),
        (
            lambda d: d["datasets"]["trips"]["fields"]["mode"].update(domain=["bus", "bus"]),
            "duplicates",
        ),
        (lambda d: d["datasets"]["trips"]["city_cap"].update(epsilon=0), "city_cap.epsilon"),
        (
            lambda d: d["datasets"]["trips"].update(time_bucket={"field": "mode"}),
            "time_bucket.field: 'mode' is not a time field",
        ),
        (
            lambda d: d["datasets"]["trips"].update(time_bucket={"field": "month", "size": "week"}),
            "time_bucket.size",
        ),
        (
            lambda d: d["datasets"]["demographics"].update(
                expected_size={"records": 10, "per": "month"}
            ),
            "demographics.expected_size.per: the dataset has no month field",
        ),
        (
            lambda d: d["datasets"]["trips"].update(expected_size={"records": 0}),
            "expected_size.records",
        ),
    ],
    ids=[
        "unknown-domain",
        "continuous-groupable",
        "dup-department",
        "time-order",
        "dup-domain",
        "cap",
        "bucket-not-time",
        "bucket-size",
        "size-per-month-without-month",
        "size-not-positive",
    ],
)
def test_cross_checks(tmp_path: Path, mutate, where: str) -> None:
    with pytest.raises(CatalogError, match=where):
        load_catalog(_write(tmp_path, mutate))


def test_buckets_are_declared_per_dataset_and_named_by_their_first_month() -> None:
    datasets = load_catalog(DEMO_CATALOG).datasets
    assert datasets["trips"].time_bucket == TimeBucket("month", "month")
    assert datasets["clinic_visits"].time_bucket is None  # opted out: health data
    march = month_index("2025-03")
    assert TimeBucket("month", "month").key(march) == march
    assert month_label(TimeBucket("month", "quarter").key(march)) == "2025-01"
    assert month_label(TimeBucket("month", "year").key(month_index("2025-12"))) == "2025-01"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("city:\n  id: x\n  name: [unclosed\n")
    with pytest.raises(CatalogError, match="line"):
        load_catalog(path)


def test_expected_sizes_and_units_are_public_declarations_of_the_catalog() -> None:
    catalog = load_catalog()
    trips, demographics = catalog.datasets["trips"], catalog.datasets["demographics"]
    assert trips.expected_size is not None and trips.expected_size.per == "month"
    assert trips.expected_size.records > 0 and (trips.expected_size.citizens or 0) > 0
    assert demographics.expected_size is not None and demographics.expected_size.per is None
    assert trips.fields["duration_min"].unit == "minutes" and trips.fields["mode"].unit == ""
