"""`civic init` is idempotent and `civic serve` serves the landing page (what `make run` does)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from civicdata.cli import cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {"CIVIC_ENV": "development", "CIVIC_INSTANCE_PATH": str(tmp_path / "instance")}


def test_init_twice_reuses_keys_and_database(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["init"], env=_env(tmp_path))
    assert first.exit_code == 0, first.output
    keys = tmp_path / "instance" / "keys"
    snapshot = {p.name: p.read_bytes() for p in keys.rglob("*") if p.is_file()}
    assert {"keyring.json", "blind-index.key"} <= set(snapshot)
    uses = sorted(name.partition("-")[0] for name in snapshot if name.endswith(".pem"))
    assert uses == ["audit", "oidc", "receipts", "releases"]
    assert oct((keys / "keyring.json").stat().st_mode & 0o777) == "0o600"
    second = runner.invoke(cli, ["init"], env=_env(tmp_path))
    assert second.exit_code == 0, second.output
    assert "created" not in second.output
    assert {p.name: p.read_bytes() for p in keys.rglob("*") if p.is_file()} == snapshot


def test_bad_configuration_is_a_clear_cli_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init"], env={**_env(tmp_path), "CIVIC_ENV": "staging"})
    assert result.exit_code != 0
    assert "CIVIC_ENV" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_prints_where_to_go_and_serves_the_landing_page(tmp_path: Path) -> None:
    env = {**os.environ, **_env(tmp_path)}
    civic = [sys.executable, "-m", "civicdata.cli"]
    subprocess.run([*civic, "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [*civic, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # start-up imports OpenDP; slow on a loaded CI machine
        while True:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert page.status_code == 200
        assert "Civic Data Platform" in page.text
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["database"] == "ok"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in output
