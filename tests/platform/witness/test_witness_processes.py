"""Two real witness processes cosign a growing log, refuse a fork, and back `verify --witnesses`."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from civicdata.audit import record_event
from civicdata.audit.checkpoints import Checkpoint, sign_checkpoint
from civicdata.audit.merkle import consistency_proof, leaf_hash, root_hash
from civicdata.cli import cli
from civicdata.models import AuditCosignature
from civicdata.witness.cosignature import NOTE_ED25519, Witness, vkey
from tests.support.cli import cli_env

STARTUP_SECONDS = 30


@dataclass
class RunningWitness:
    name: str
    url: str
    vkey: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp: Path, name: str, log_vkey: str) -> RunningWitness:
    port = _free_port()
    command = [
        sys.executable, "-m", "civicdata.cli", "witness", "serve",
        "--name", name, "--key", str(tmp / f"{port}.pem"), "--db", str(tmp / f"{port}.db"),
        "--log", log_vkey, "--port", str(port),
    ]  # fmt: skip
    env = {**os.environ, "CIVIC_ENV": "testing", "CIVIC_INSTANCE_PATH": str(tmp)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"witness exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            about = requests.get(url + "/", timeout=1).json()
            return RunningWitness(name, url, about["vkey"], process)
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"witness {name} did not start within {STARTUP_SECONDS}s")


@pytest.fixture
def witnesses(platform_, tmp_path) -> Iterator[list[RunningWitness]]:
    log_vkey = vkey(
        platform_.audit_origin,
        NOTE_ED25519,
        platform_.signing.current("audit").ed25519.public_key(),
    )
    running: list[RunningWitness] = []
    try:
        for name in ("witness.one.example/civic", "witness.two.example/civic"):
            running.append(_start(tmp_path, name, log_vkey))
        yield running
    finally:
        for witness in running:
            witness.process.terminate()
            witness.process.wait(timeout=10)
            if witness.process.stderr is not None:
                witness.process.stderr.close()


def _env(config, witnesses: list[RunningWitness]) -> dict[str, str]:
    listed = [{"url": w.url, "key": w.vkey} for w in witnesses]
    return {**cli_env(config), "CIVIC_WITNESSES": json.dumps(listed)}


def _append(platform, n: int) -> None:
    with platform.sessions() as session:
        for i in range(n):
            record_event(session, actor="client:a", action="release.request", n=i)
        session.commit()


def _submit(witness: RunningWitness, old: int, proof: list[bytes], note: str) -> requests.Response:
    lines = "".join(base64.b64encode(p).decode() + "\n" for p in proof)
    return requests.post(
        f"{witness.url}/add-checkpoint", data=f"old {old}\n{lines}\n{note}".encode(), timeout=10
    )


def test_two_witnesses_cosign_a_growing_log_and_refuse_a_fork(
    platform_, config, witnesses, tmp_path
) -> None:
    runner = CliRunner()
    env = _env(config, witnesses)
    sizes = []
    for grow in (5, 4):
        _append(platform_, grow)
        done = runner.invoke(cli, ["audit", "checkpoint"], env=env)
        assert done.exit_code == 0, done.output
        assert done.output.count(": cosigned") == 2
        sizes.append(int(done.output.splitlines()[1]))
    with platform_.sessions() as session:
        stored = session.execute(select(AuditCosignature.checkpoint_size, AuditCosignature.witness))
        assert sorted(stored) == sorted((s, w.name) for s in sizes for w in witnesses)

    # A fork: other leaves from the size the witnesses hold, validly signed by the log key.
    held = sizes[-1]
    forked = [leaf_hash(f"rewritten {i}".encode()) for i in range(held + 3)]
    fork_note = sign_checkpoint(
        Checkpoint(platform_.audit_origin, held + 3, root_hash(forked)),
        platform_.audit_origin,
        platform_.signing.current("audit").ed25519,
    )
    same_size = sign_checkpoint(
        Checkpoint(platform_.audit_origin, held, root_hash(forked[:held])),
        platform_.audit_origin,
        platform_.signing.current("audit").ed25519,
    )
    for witness in witnesses:
        refused = _submit(witness, held, consistency_proof(held, forked), fork_note)
        assert refused.status_code == 422, refused.text
        conflict = _submit(witness, held, [], same_size)
        assert conflict.status_code == 409 and conflict.text == f"{held}\n"
        stale = _submit(witness, 0, [], fork_note)  # not the size it holds: told which one
        assert stale.status_code == 409
        assert stale.headers["Content-Type"].startswith("text/x.tlog.size")
        assert stale.text == f"{held}\n"

    # The honest log still grows, cosigned from the size the witnesses held.
    _append(platform_, 2)
    again = runner.invoke(cli, ["audit", "checkpoint", "--every", "1", "--count", "1"], env=env)
    assert again.exit_code == 0 and again.output.count(": cosigned") == 2, again.output


def test_verify_requires_k_of_n_valid_cosignatures(platform_, config, witnesses, tmp_path) -> None:
    runner = CliRunner()
    env = _env(config, witnesses)
    _append(platform_, 6)
    export = tmp_path / "log.jsonl"
    assert runner.invoke(cli, ["audit", "checkpoint"], env=env).exit_code == 0
    assert runner.invoke(cli, ["audit", "export", "-o", str(export)], env=env).exit_code == 0
    honest = runner.invoke(
        cli, ["audit", "verify", "--export", str(export), "--witnesses", "2"], env=env
    )
    assert honest.exit_code == 0, honest.output
    live = runner.invoke(cli, ["audit", "verify", "--witnesses", "2"], env=env)
    assert live.exit_code == 0, live.output
    keys = [arg for w in witnesses for arg in ("--witness-key", w.vkey)]
    offline = runner.invoke(
        cli, ["audit", "verify", "--export", str(export), "--witnesses", "2", *keys],
        env=cli_env(config),
    )  # fmt: skip
    assert offline.exit_code == 0, offline.output

    lines = export.read_text().splitlines()
    note = json.loads(lines[-1])["checkpoint"]
    cosignatures = [line for line in note.splitlines() if any(w.name in line for w in witnesses)]
    assert len(cosignatures) == 2 and all(Witness.parse(w.vkey).cosigns(note) for w in witnesses)

    def verify_with(changed_note: str):  # type: ignore[no-untyped-def]
        export.write_text("\n".join([*lines[:-1], json.dumps({"checkpoint": changed_note})]) + "\n")
        return runner.invoke(
            cli, ["audit", "verify", "--export", str(export), "--witnesses", "2"], env=env
        )

    missing = verify_with(note.replace(cosignatures[1] + "\n", ""))
    assert missing.exit_code == 1 and "cosignatures of 1 witness(es), 2 required" in missing.output
    name, blob = cosignatures[0].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    forged = verify_with(note.replace(cosignatures[0], f"{name} {base64.b64encode(raw).decode()}"))
    assert forged.exit_code == 1 and witnesses[0].name in forged.output
    assert verify_with(note).exit_code == 0


def test_the_api_and_the_portal_show_the_cosignatures(platform_, config, witnesses) -> None:
    from dataclasses import replace

    from civicdata.app import create_app
    from civicdata.context import Platform
    from tests.support.oauth import new_staff, service_token, sign_in

    env = _env(config, witnesses)
    _append(platform_, 3)
    assert CliRunner().invoke(cli, ["audit", "checkpoint"], env=env).exit_code == 0
    platform = Platform.build(replace(config, witnesses=env["CIVIC_WITNESSES"]))
    try:
        client = create_app(platform=platform).test_client()
        token = service_token(client, platform, role="auditor", scopes=["audit:read"])
        answer = client.get(
            "/api/v1/audit/checkpoint", headers={"Authorization": f"Bearer {token}"}
        )
        witnessed = answer.json["witnessed"]
        assert witnessed["size"] == 3
        assert sorted(c["witness"] for c in witnessed["cosignatures"]) == [
            w.name for w in witnesses
        ]
        assert all(c["verified"] for c in witnessed["cosignatures"])
        assert all(Witness.parse(w.vkey).cosigns(witnessed["note"]) for w in witnesses)
        new_staff(platform, "auditor", "auditor@example.org")
        sign_in(client, "auditor@example.org")
        page = client.get("/auditor/verification").text
        assert "Latest witnessed checkpoint: size 3, cosigned by 2 of 2" in page
        assert all(w.name in page for w in witnesses) and "NOT valid" not in page
    finally:
        platform.engine.dispose()
