"""``civic ingest FILE --dataset D``: the operator's load, with a summary and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from civicdata.cli import cli
from civicdata.context import Platform
from civicdata.models import SourceRecord
from tests.support.cli import cli_env


def write_readings(path: Path, count: int, bad_line: int | None = None) -> Path:
    lines = []
    for i in range(count):
        record = {
            "source_id": f"file-{i}",
            "electricity_meter": f"EM-{i % 7}",
            "district": "Eastgate",
            "month": "2025-02",
            "kwh": 100 + i,
        }
        if i + 1 == bad_line:
            record["kwh"] = 99_999
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(SourceRecord))


def test_civic_ingest_loads_a_file_once(config, platform_, tmp_path) -> None:
    data = write_readings(tmp_path / "readings.ndjson", 60)
    runner = CliRunner()
    first = runner.invoke(
        cli, ["ingest", str(data), "--dataset", "electricity"], env=cli_env(config)
    )
    assert first.exit_code == 0, first.output
    assert "completed; received 60, stored 60, duplicates 0, rejected 0" in first.output
    again = runner.invoke(
        cli, ["ingest", str(data), "--dataset", "electricity"], env=cli_env(config)
    )
    assert again.exit_code == 0
    assert "stored 0, duplicates 60" in again.output
    assert stored(platform_) == 60


def test_civic_ingest_reports_errors_and_exits_non_zero(config, platform_, tmp_path) -> None:
    data = write_readings(tmp_path / "readings.ndjson", 30, bad_line=17)
    result = CliRunner().invoke(
        cli, ["ingest", str(data), "--dataset", "electricity"], env=cli_env(config)
    )
    assert result.exit_code == 1
    assert "rejected; received 30, stored 0" in result.output
    assert "line 17: kwh:" in result.output
    assert stored(platform_) == 0
    partial = CliRunner().invoke(
        cli,
        ["ingest", str(data), "--dataset", "electricity", "--mode", "partial"],
        env=cli_env(config),
    )
    assert partial.exit_code == 1
    assert "partial; received 30, stored 29" in partial.output
    assert stored(platform_) == 29


def test_civic_ingest_reads_csv_and_names_an_unknown_dataset(config, platform_, tmp_path) -> None:
    data = tmp_path / "readings.csv"
    data.write_text(
        "source_id,electricity_meter,district,month,kwh\nr1,EM-1,Harbour,2025-01,12.5\n",
        encoding="utf-8",
    )
    ok = CliRunner().invoke(
        cli, ["ingest", str(data), "--dataset", "electricity"], env=cli_env(config)
    )
    assert ok.exit_code == 0, ok.output
    assert stored(platform_) == 1
    unknown = CliRunner().invoke(
        cli, ["ingest", str(data), "--dataset", "parking"], env=cli_env(config)
    )
    assert unknown.exit_code != 0
    assert "--dataset" in unknown.output
