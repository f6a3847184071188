"""`civic keys rotate-signing`, `civic keys signing-history` and `civic releases verify`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from civicdata.cli import cli
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.releases import signing as release_signing
from tests.platform.signing.test_rotation import audit_entries_and_checkpoint


def env_of(config: Config) -> dict[str, str]:
    return {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
    }


def signed_release(platform: Platform, path: Path) -> Path:
    document = {"id": path.stem, "cells": [{"value": 4.5}]}
    signer = platform.signing.current("releases")
    value = release_signing.sign(document, signer)
    path.write_text(
        json.dumps({"release": document, "signature": {"key_id": signer.kid, "value": value}})
    )
    return path


def test_rotate_each_key_then_verify_offline_from_an_exported_history(
    own_platform: Platform, own_config: Config, tmp_path: Path
) -> None:
    env = env_of(own_config)
    runner = CliRunner()
    before = signed_release(own_platform, tmp_path / "before.json")
    audit_entries_and_checkpoint(own_platform, 2)
    for use in ("audit", "receipts", "releases", "oidc"):
        old = own_platform.signing.current(use).kid
        rotated = runner.invoke(cli, ["keys", "rotate-signing", "--use", use], env=env)
        assert rotated.exit_code == 0, rotated.output
        assert f"new {use} signing key {use}-" in rotated.output
        assert own_platform.signing.history(refresh=True).current(use).kid != old
    after = signed_release(own_platform, tmp_path / "after.json")
    audit_entries_and_checkpoint(own_platform, 2)

    history = tmp_path / "civic-keys.json"
    exported = runner.invoke(cli, ["keys", "signing-history", "-o", str(history)], env=env)
    assert exported.exit_code == 0 and "wrote 8 key(s)" in exported.output
    log = tmp_path / "log.jsonl"
    assert runner.invoke(cli, ["audit", "export", "-o", str(log)], env=env).exit_code == 0
    offline = ["--keys", str(history)]
    for release in (before, after):
        ok = runner.invoke(cli, ["releases", "verify", str(release), *offline], env=env)
        assert ok.exit_code == 0 and ok.output.startswith("OK: release"), ok.output
    audit = runner.invoke(cli, ["audit", "verify", "--export", str(log), *offline], env=env)
    assert audit.exit_code == 0 and "OK: 4 entries" in audit.output, audit.output

    body = json.loads(after.read_text())
    body["release"]["cells"][0]["value"] = 5
    after.write_text(json.dumps(body))
    tampered = runner.invoke(cli, ["releases", "verify", str(after), *offline], env=env)
    assert tampered.exit_code == 1 and "signature does not match" in tampered.output


def test_rotate_signing_refuses_an_unknown_use(own_config: Config) -> None:
    result = CliRunner().invoke(
        cli, ["keys", "rotate-signing", "--use", "email"], env=env_of(own_config)
    )
    assert result.exit_code == 2 and "email" in result.output
