"""``/metrics``: closed to the public, and the series operators rely on are there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from civicdata.config import Config, ConfigError
from civicdata.metrics import TimedKeyManager
from civicdata.vault import LocalKeyring
from tests.platform.observed_city import METRICS_TOKEN, metrics_app, run_a_day

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client) -> Samples:  # type: ignore[no-untyped-def]
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.content_type.startswith("text/plain; version=")
    return _samples(answer.text)


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_not_served_without_a_configured_token(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(config: Config) -> None:
    client = metrics_app(config)[0].test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 48})
    assert wrong.status_code == 401 and "civic_" not in wrong.text


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="CIVIC_METRICS_TOKEN"):
        Config.from_env({"CIVIC_ENV": "development", "CIVIC_METRICS_TOKEN": "short"})


def test_a_scrape_after_a_day_shows_requests_releases_ingestion_audit_and_keys(
    config: Config,
) -> None:
    app, platform = metrics_app(config)
    client = app.test_client()
    before = _scrape(client)
    run_a_day(client, platform)
    after = _scrape(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("civic_releases_total", dataset="trips", served_from_store="false") == 1
    assert grew("civic_release_denials_total", dataset="trips") == 1
    assert grew("civic_epsilon_spent_total", dataset="trips") == pytest.approx(0.5)
    assert grew("civic_ingestions_total", dataset="trips", status="completed") == 1
    assert grew("civic_ingested_records_total", dataset="trips", fate="stored") == 8
    route = {"method": "POST", "route": "/api/v1/releases"}
    assert grew("civic_http_requests_total", **route, status="201") == 1
    assert grew("civic_http_requests_total", **route, status="403") == 1
    assert grew("civic_http_request_duration_seconds_count", **route) == 2
    assert _value(after, "civic_audit_log_entries") > _value(before, "civic_audit_log_entries")


def test_every_key_manager_call_is_timed() -> None:
    keyring = LocalKeyring.generate()
    timed = TimedKeyManager(keyring)
    (key_id,) = keyring.key_ids()
    before = {op: _histogram_count(op) for op in ("wrap", "unwrap")}
    wrapped = timed.wrap(key_id, b"k" * 32, b"ad")
    for _ in range(3):
        assert timed.unwrap(key_id, wrapped, b"ad") == b"k" * 32
    assert _histogram_count("wrap") - before["wrap"] == 1
    assert _histogram_count("unwrap") - before["unwrap"] == 3


def _histogram_count(operation: str) -> float:
    return _value(
        _samples(generate_latest().decode()),
        "civic_key_manager_duration_seconds_count",
        operation=operation,
    )


SCRIPT = """
from civicdata import metrics
metrics.RELEASES.labels("trips", "false").inc(int(__import__("sys").argv[1]))
"""


def test_workers_sharing_a_multiprocess_folder_add_up(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for count in ("2", "3"):  # two "workers", each a process of its own
        subprocess.run([sys.executable, "-c", SCRIPT, count], env=env, check=True)
    scrape = (
        "import sys\nfrom civicdata.context import Platform\nfrom civicdata.config import Config\n"
        "from civicdata.metrics import exposition\n"
        "sys.stdout.write(exposition(Platform.build(Config.from_env()).sessions)[0].decode())\n"
    )
    env.update(
        CIVIC_ENV="testing",
        CIVIC_DATABASE_URL=config.database_url,
        CIVIC_INSTANCE_PATH=str(tmp_path),
        CIVIC_KEYS_DIR=str(config.keys_dir),
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert (
        _value(_samples(out), "civic_releases_total", dataset="trips", served_from_store="false")
        == 5
    )
    assert ("civic_audit_log_entries", ()) in _samples(out)


def test_the_sample_dashboard_only_charts_series_the_platform_exports() -> None:
    dashboard = (
        Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
    ).read_text()
    exprs = [t["expr"] for p in json.loads(dashboard)["panels"] for t in p["targets"]]
    charted = {
        re.sub(r"_(total|bucket|count|sum)$", "", n)
        for e in exprs
        for n in re.findall(r"civic_\w+", e)
    }
    exported = {family.name for family in REGISTRY.collect()} | {"civic_audit_log_entries"}
    assert len(charted) >= 8 and charted <= exported
