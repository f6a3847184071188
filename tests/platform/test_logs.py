"""Structured logs: one JSON object a line, the request id throughout, no secrets."""

from __future__ import annotations

import base64
import io
import json
import logging

from civicdata.config import Config
from civicdata.keys import BLIND_INDEX_FILE
from civicdata.logs import bind_request_id, configure_logging, current_request_id, get_logger
from tests.platform.observed_city import metrics_app, run_a_day
from tests.support.logs import capture_json_logs


def test_configured_logs_are_json_lines_with_the_bound_request_id() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    configure_logging("INFO", stream)  # configuring again adds no second handler
    try:
        bind_request_id("cli-abc")
        get_logger("civicdata.test").info("thing.done", dataset="trips", count=3)
        logging.getLogger("some.library").warning("plain %s", "message")
        logging.getLogger("civicdata.test").debug("not shown at INFO")
    finally:
        configure_logging("INFO")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "thing.done" and first["request_id"] == "cli-abc"
    assert (first["dataset"], first["count"], first["level"]) == ("trips", 3, "info")
    assert second["event"] == "plain message" and second["request_id"] == "cli-abc"
    assert second["logger"] == "some.library" and second["level"] == "warning"
    assert current_request_id() == "cli-abc"


def _key_material(config: Config) -> dict[str, str]:
    """Every secret key of the instance, in the encodings a careless log line might use."""
    found: dict[str, str] = {}
    for entry in json.loads(config.keyring_path.read_text())["keys"]:
        found[f"master key {entry['id']}"] = entry["key"]
        found[f"master key {entry['id']} (hex)"] = base64.b64decode(entry["key"]).hex()
    blind = (config.keys_dir / BLIND_INDEX_FILE).read_bytes()
    found["blind-index key"] = base64.b64encode(blind).decode()[:24]
    found["blind-index key (hex)"] = blind.hex()[:24]
    private_keys = sorted(config.keys_dir.rglob("*.pem"))
    assert any(p.parent.name == "signing" for p in private_keys)  # the per-use signing keys
    for path in private_keys:
        if "PRIVATE KEY" not in path.read_text():
            continue
        body = path.read_text().splitlines()[1:-1]
        found[str(path.relative_to(config.keys_dir))] = max(body, key=len)
    return found


def test_a_day_of_logs_carries_no_personal_data_or_secret(config: Config) -> None:
    app, platform = metrics_app(config)
    with capture_json_logs() as logs:
        day = run_a_day(app.test_client(), platform)
    forbidden = {**day["secrets"], **_key_material(platform.config)}
    assert len(logs.events("request")) >= 10  # the day really was logged
    leaked = [name for name, value in forbidden.items() if value and value in logs.text]
    assert leaked == []


def test_a_release_log_line_carries_the_request_id_of_the_answer(config: Config) -> None:
    app, platform = metrics_app(config)
    with capture_json_logs() as logs:
        day = run_a_day(app.test_client(), platform)
    released = day["released"]
    [line] = [
        line for line in logs.events("release") if line["release"] == released.json["release"]["id"]
    ]
    assert line["request_id"] == released.headers["X-Request-ID"] == "release-probe-1"
    assert (line["dataset"], line["epsilon"], line["served_from_store"]) == ("trips", "0.5", False)
    [denied] = logs.events("release.denied")
    assert denied["dataset"] == "trips" and denied["request_id"] != "release-probe-1"
    [ingestion] = logs.events("ingestion")
    assert (ingestion["ingestion"], ingestion["stored"]) == (day["ingestion"], 8)
