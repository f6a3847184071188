"""A SoftHSM2 token of the test run's own, in a temporary folder.

SoftHSM2 reads ``SOFTHSM2_CONF`` once per process (when the PKCS#11 library
is initialised), so one configuration serves the whole run; each caller
creates its own token in it. Under ``CI=true`` a missing SoftHSM2 fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class SoftHsmToken:
    label: str
    pin: str
    module: Path = MODULE

    def settings(self) -> dict[str, object]:
        """Config fields selecting this token as the key manager."""
        return {
            "key_manager": "pkcs11",
            "pkcs11_module": self.module,
            "pkcs11_token_label": self.label,
            "pkcs11_pin": self.pin,
        }


def require_softhsm() -> None:
    """Skip without SoftHSM2, except under CI where it must be installed."""
    if shutil.which("softhsm2-util") and MODULE.exists():
        return
    reason = f"SoftHSM2 is not installed (softhsm2-util, {MODULE}); apt-get install softhsm2"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def softhsm_conf(folder: Path) -> Path:
    """Point this process's SoftHSM2 at a token folder under ``folder`` (before first use)."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return conf


def create_token(label: str, pin: str = "123456") -> SoftHsmToken:
    """Initialise a new token in the first free slot of this process's SoftHSM2."""
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            pin,
            "--so-pin",
            pin + "0",
        ],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return SoftHsmToken(label, pin)
