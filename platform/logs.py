"""Structured JSON logs with a request id, configured once per process.

The app factory and the ``civic`` command call :func:`configure_logging`;
everything then logs through structlog (``get_logger(__name__).info("event",
key=value)``) or the standard library, and both come out as one JSON object
per line on standard error. The request id lives in a context variable, so
services and jobs called from a request (or a CLI command) carry it without
being passed it.

Log lines name what happened and to what (dataset, release id, counts of an
upload), never personal data or secrets: no emails, names, tokens, keys or
records.

>>> request_id_from("3f2a-77ab")
'3f2a-77ab'
>>> request_id_from("forged\\nline") != "forged\\nline"
True
>>> len(request_id_from(None))
32
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import IO

import structlog
from structlog.typing import Processor

REQUEST_ID_HEADER = "X-Request-ID"
# Ids taken from clients: short, printable, nothing that could forge a log line.
_VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_HANDLER_NAME = "civic-json"

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is well-formed, else a new random one."""
    if header is not None and _VALID_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> None:
    """Start a new logging context (a request, a CLI command) under ``request_id``."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def current_request_id() -> str | None:
    """The request id of the running request or command, if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value is not None else None


def json_formatter() -> logging.Formatter:
    """The formatter that renders every record (structlog's or the stdlib's) as JSON."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send all logs to ``stream`` (standard error) as JSON lines; safe to call again."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger for module ``name``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
