"""Bounds on JSON documents, checked on the raw bytes before a parser recurses into them.

``json.loads`` recurses once per nesting level, so a body nested 10,000 deep
raises ``RecursionError`` (a 500) in whatever parser meets it first. These
checks run in C-speed passes over the bytes: counting brackets settles nearly
every document at once, and only a document with many brackets is scanned for
its true depth (brackets inside strings do not count).

>>> too_deep(b'{"a": [[1]]}', limit=3)
False
>>> too_deep(b"[" * 4 + b"]" * 4, limit=3)
True
>>> too_deep(b'{"a": "[[[[[["}', limit=3)
False
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

MAX_DEPTH = 32
"""No document the platform accepts nests deeper; ingestion records are flat."""

INT64_MAX = 2**63 - 1
"""Every integer column is at most a signed 64-bit ``BIGINT``."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JSONOutOfBounds(ValueError):
    """A JSON document is too deep, or holds a number or string no column can store."""


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``raw`` nests arrays and objects more than ``limit`` levels deep."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _BRACKET.findall(_STRING.sub(b"", raw))
    depths = itertools.accumulate(_STEP[bracket[0]] for bracket in brackets)
    return max(depths, default=0) > limit


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > INT64_MAX:
        raise JSONOutOfBounds(f"the integer {text[:24]}… is out of range (at most 2^63-1)")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONOutOfBounds(f"the number {text[:24]} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise JSONOutOfBounds(f"{name} is not a JSON number")


def check_document(raw: bytes, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`JSONOutOfBounds` if ``raw`` is valid JSON that no field could accept.

    Syntax errors are left to the parser of the route, which names them in its
    own terms; what is refused here is what would otherwise crash that parser
    or the database: invalid UTF-8, nesting deeper than ``limit``, integers
    beyond 64 bits, non-finite numbers and NUL characters in strings.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONOutOfBounds(f"the body is not UTF-8 (byte {exc.start})") from None
    if too_deep(raw, limit):
        raise JSONOutOfBounds(f"the body nests deeper than {limit} levels")
    try:
        document = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_refuse_constant,
        )
    except JSONOutOfBounds:
        raise
    except ValueError:
        return  # a syntax error: the route's own parser reports it
    if "\\u0000" in text and _has_nul(document):  # NUL is only ever escaped in JSON
        raise JSONOutOfBounds("strings must not contain NUL characters")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False
