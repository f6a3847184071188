"""Rotating master keys under load: gunicorn with 4 workers on PostgreSQL, zero failed requests.

While a few threads send releases, ``/my/data.json`` downloads and new
registrations, the operator runs ``civic keys add``, ``promote``, ``rewrap`` and
``retire`` as separate processes. Afterwards nothing is wrapped by the
retired key, and a fresh process decrypts every record of every citizen.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests
from sqlalchemy import func, select

from civicdata.app import create_app
from civicdata.config import Config
from civicdata.consents.issuers import ensure_published, receipt_issuer
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.demo import seed_demo_city
from civicdata.models import CitizenKey, KeyEncryptionKey, MasterKeyState
from consent.bulk import give_many
from tests.platform.releases.city import count_query
from tests.support.cli import cli_env
from tests.support.gunicorn import gunicorn
from tests.support.oauth import PASSWORD, new_citizen, service_token

WORKERS = 4
MAX_SECONDS = 240  # the load stops by then whatever happens (seconds on an idle machine)
MAX_REQUESTS = 1500
PAUSE = 0.05  # between one thread's requests
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

FRESH_PROCESS_CHECK = """
import json, sys
from sqlalchemy import select
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.models import Citizen
from civicdata.records import scan_dataset

platform = Platform.build(Config.from_env())
emails = records = 0
with platform.sessions() as session:
    for citizen in session.scalars(select(Citizen).where(Citizen.email_enc.is_not(None))):
        platform.vault.cipher(session, citizen.id).open(
            citizen.email_enc, "citizens", "email", citizen.id
        )
        emails += 1
    for spec in platform.catalog.datasets.values():
        records += scan_dataset(session, platform.vault, spec).height
print(json.dumps({"emails": emails, "records": records}))
"""


def _form(http: requests.Session, url: str, path: str, **fields: str) -> requests.Response:
    page = http.get(f"{url}{path}", timeout=30)
    token = CSRF.search(page.text)
    assert token, f"no CSRF token on {path}"
    return http.post(
        f"{url}{path}",
        data={"csrf_token": token.group(1), **fields},
        allow_redirects=False,
        timeout=30,
    )


Outcome = tuple[float, str]  # when it ended, "<kind> ok" or "<kind> <status>"


def _load(url: str, token: str, emails: list[str], stop: threading.Event) -> list[Outcome]:
    """A few threads of releases, downloads and registrations until ``stop`` (bounded)."""
    outcomes: list[Outcome] = []
    sent = iter(range(MAX_REQUESTS))
    deadline = time.monotonic() + MAX_SECONDS

    def record(kind: str, response: requests.Response, expected: int) -> None:
        ok = response.status_code == expected
        outcomes.append((time.monotonic(), f"{kind} {'ok' if ok else response.status_code}"))

    def release() -> None:
        response = requests.post(
            f"{url}/api/v1/releases",
            json=count_query("0.01", fresh=True),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        record("release", response, 201)

    downloads: dict[int, requests.Session] = {}

    def download() -> None:
        me = threading.get_ident()
        if me not in downloads:
            http = requests.Session()
            email = emails[len(downloads) % len(emails)]
            signed = _form(http, url, "/login", email=email, password=PASSWORD, next="/")
            assert signed.status_code == 302, signed.text
            downloads[me] = http
        record("download", downloads[me].get(f"{url}/my/data.json", timeout=60), 200)

    def register() -> None:
        email = f"new-{secrets.token_hex(4)}@example.org"
        fields = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
        # Registration answers "check your inbox" (200) whether or not the address is new.
        record("register", _form(requests.Session(), url, "/register", **fields), 200)

    def worker(actions: list[Callable[[], None]]) -> None:
        for n in sent:
            if stop.is_set() or time.monotonic() > deadline:
                return
            actions[n % len(actions)]()
            time.sleep(PAUSE)

    threads = [
        threading.Thread(target=worker, args=([release, download, register],)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(MAX_SECONDS + 60)
    return outcomes


def _civic(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "civicdata.cli", "keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"civic keys {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture
def node(tmp_path, keys_dir, config) -> Iterator[Platform]:
    mine = tmp_path / "own-keys"
    shutil.copytree(keys_dir, mine)
    own: Config = dataclasses.replace(config, keys_dir=mine, keyring_path=mine / "keyring.json")
    built = Platform.build(own)
    yield built
    built.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_rotation_under_load_loses_nothing(node: Platform) -> None:
    city = seed_demo_city(node, citizens=80, seed=11)
    purpose = node.purposes["transport-planning"]
    with node.sessions() as session:
        ensure_published(node, session, [purpose])
        give_many(
            session,
            city.citizen_ids,
            purpose,
            language="en",
            method="portal",
            now=utcnow(),
            issuer=receipt_issuer(node, purpose),
        )
        session.commit()
    emails = [f"load{i}@example.org" for i in range(3)]
    for email in emails:
        new_citizen(node, email, name="Load")
    token = service_token(
        create_app(platform=node).test_client(),
        node,
        role="department",
        scopes=["aggregates:request"],
        department="transport",
    )
    old = node.vault.states.primary()
    state_seconds = {"CIVIC_KEY_STATE_SECONDS": "2"}
    env = {**os.environ, **cli_env(node.config), **state_seconds}

    with gunicorn(node.config, workers=WORKERS, env=state_seconds) as url:
        stop = threading.Event()
        outcome: dict[str, list[Outcome]] = {}
        load = threading.Thread(target=lambda: outcome.update(n=_load(url, token, emails, stop)))
        load.start()
        time.sleep(2)
        new = _civic(env, "add").split()[3]
        promoting = time.monotonic()
        _civic(env, "promote", new)
        _civic(env, "rewrap", "--batch-size", "32")
        _civic(env, "retire", old)
        retired = time.monotonic()
        time.sleep(3)
        stop.set()
        load.join(MAX_SECONDS + 120)

    counts = Counter(kind for _, kind in outcome["n"])
    failed = {kind: n for kind, n in counts.items() if not kind.endswith(" ok")}
    assert not failed, f"failed requests: {failed} of {dict(counts)}"
    during = Counter(kind for at, kind in outcome["n"] if promoting < at < retired)
    after = Counter(kind.split()[0] for at, kind in outcome["n"] if at > retired)
    assert sum(during.values()) >= 3, f"no load while rotating: {dict(counts)}"
    assert set(after) == {"release", "download", "register"}, dict(after)

    with node.sessions() as session:
        states = dict(session.execute(select(MasterKeyState.id, MasterKeyState.state)).all())
        assert (states[old], states[new]) == ("retired", "primary")
        assert set(session.scalars(select(KeyEncryptionKey.master_key_id))) == {new}
        assert node.vault.keys_using(session, old) == 0
        assert (
            session.scalar(select(func.count()).where(~CitizenKey.master_key_id.startswith("kek-")))
            == 0
        )  # no worker wrapped a data key directly under a master key, old or new
        registered = session.scalar(select(func.count()).select_from(CitizenKey))
    assert registered >= 80 + 3 + counts["register ok"]

    check = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_CHECK],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    decrypted = json.loads(check.stdout)
    assert decrypted["emails"] == registered
    assert decrypted["records"] == sum(city.records.values()) > 0
