"""`civic backup` and `civic restore` from the command line, on both databases."""

from __future__ import annotations

import base64
import json
import subprocess
import zipfile
from pathlib import Path

from click.testing import CliRunner

from civicdata.cli import cli
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.signing.material import local_keys
from tests.platform.backup.test_restore import erase, held, with_records
from tests.platform.signing.conftest import own_config, own_platform
from tests.support.oauth import new_citizen

__all__ = ["own_config", "own_platform"]


def env_of(config: Config) -> dict[str, str]:
    return {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
    }


def secrets_of(config: Config) -> list[bytes]:
    """Master keys and private signing keys, in the forms a database could hold them."""
    raw = [base64.b64decode(k["key"]) for k in json.loads(config.keyring_path.read_text())["keys"]]
    for key in local_keys(config.keys_dir):
        der = key.path.read_text().split("-----")[2]
        raw.append(base64.b64decode("".join(der.split())))
    return [
        form for secret in raw for form in (secret, secret.hex().encode(), base64.b64encode(secret))
    ]


def database_text(backup: Path, tmp_path: Path) -> bytes:
    with zipfile.ZipFile(backup) as bundle:
        names = bundle.namelist()
        assert "manifest.json" in names
        (name,) = [n for n in names if n.startswith("database.")]
        data = bundle.read(name)
    if name.endswith(".pgdump"):
        dump = tmp_path / "dump.pgdump"
        dump.write_bytes(data)
        done = subprocess.run(
            ["pg_restore", "--file=-", str(dump)], capture_output=True, check=True
        )
        data = done.stdout
        assert b"COPY public.citizen_keys" in data  # the SQL text really holds the tables
    return data


def test_backup_then_erasure_then_restore_from_the_command_line(
    own_platform: Platform, own_config: Config, tmp_path: Path
) -> None:
    rosa = new_citizen(own_platform, "rosa@example.org", name="Rosa")
    with_records(own_platform, str(rosa.citizen_id))
    backup = tmp_path / "civic.backup"
    made = CliRunner().invoke(cli, ["backup", "-o", str(backup)], env=env_of(own_config))
    assert made.exit_code == 0, made.output
    assert "checkpointing the audit log" in made.output and "100%" in made.output
    text = database_text(backup, tmp_path)
    assert not any(secret in text for secret in secrets_of(own_config))

    erase(own_platform, rosa)
    own_platform.engine.dispose()
    done = CliRunner().invoke(cli, ["restore", str(backup), "--yes"], env=env_of(own_config))
    assert done.exit_code == 0, done.output
    assert (
        "replayed 1 erasure(s)" in done.output and "1 erased citizen(s) erased again" in done.output
    )
    assert held(own_platform, str(rosa.citizen_id)) == (False, 0)
    verified = CliRunner().invoke(cli, ["audit", "verify"], env=env_of(own_config))
    assert verified.exit_code == 0, verified.output


def test_restore_with_a_tampered_exported_log_refuses(
    own_platform: Platform, own_config: Config, tmp_path: Path
) -> None:
    rosa = new_citizen(own_platform, "rosa@example.org")
    env = env_of(own_config)
    backup, log, keys = tmp_path / "civic.backup", tmp_path / "log.jsonl", tmp_path / "keys.json"
    assert CliRunner().invoke(cli, ["backup", "-o", str(backup)], env=env).exit_code == 0
    erase(own_platform, rosa)
    assert CliRunner().invoke(cli, ["audit", "export", "-o", str(log)], env=env).exit_code == 0
    assert (
        CliRunner().invoke(cli, ["keys", "signing-history", "-o", str(keys)], env=env).exit_code
        == 0
    )
    lines = log.read_text().splitlines()
    erasure = next(i for i, line in enumerate(lines) if "citizen.erase" in line)
    lines[erasure] = lines[erasure].replace("citizen.erase", "citizen.rest")
    log.write_text("\n".join(lines) + "\n")
    args = ["restore", str(backup), "--log", str(log), "--keys", str(keys), "--yes"]
    refused = CliRunner().invoke(cli, args, env=env)
    assert refused.exit_code == 1
    assert (
        "restore refused, nothing changed" in refused.output and "does not verify" in refused.output
    )
    assert held(own_platform, str(rosa.citizen_id)) == (False, 0)
