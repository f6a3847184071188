"""Limits hold across four gunicorn workers when they count in the real Redis.

Forty sign-ins with forty different emails are fired from one address by
eight threads at a server of four workers: exactly the allowance of the
production default limit gets through, the rest are 429. With a per-process
storage each worker would allow its own share.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from civicdata.config import RateLimits
from tests.support.gunicorn import gunicorn
from tests.support.oauth import csrf_token

REDIS_URL = os.environ.get("CIVIC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ATTEMPTS = 40


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} unreachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_sign_in_limit_holds_across_four_workers_with_redis(config) -> None:
    _require_redis()
    prefix = f"civic-test-{secrets.token_hex(4)}"
    env = {
        "CIVIC_RATELIMIT_STORAGE": REDIS_URL,
        "CIVIC_RATELIMIT_PREFIX": prefix,
        "CIVIC_RATELIMIT_SIGN_IN": RateLimits.DEFAULTS["sign_in"],
    }
    allowed = int(RateLimits.DEFAULTS["sign_in"].split()[0])
    try:
        with gunicorn(config, workers=4, env=env) as url:
            page = requests.get(f"{url}/login", timeout=10)
            token, cookies = csrf_token(page.text), page.cookies

            def attempt(i: int) -> requests.Response:
                return requests.post(
                    f"{url}/login",
                    data={"email": f"p{i}@example.org", "password": "wrong", "csrf_token": token},
                    cookies=cookies,
                    allow_redirects=False,
                    timeout=30,
                )

            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(attempt, range(ATTEMPTS)))
    finally:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * allowed + [429] * (ATTEMPTS - allowed)
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
