"""The gunicorn hooks keep the shared metrics folder true to the live workers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from civicdata import gunicorn_conf


def test_starting_empties_the_metrics_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    gunicorn_conf.on_starting(None)
    assert list(folder.iterdir()) == []


def test_a_reaped_worker_loses_its_live_gauges_and_keeps_its_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "gauge_livesum_7.db").write_bytes(b"")
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_7.db"]


def test_without_a_metrics_folder_the_hooks_touch_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    gunicorn_conf.on_starting(None)
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert [p.name for p in tmp_path.iterdir()] == ["gauge_livesum_4242.db"]
