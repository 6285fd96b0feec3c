"""structlog, configured once per process: JSON off a terminal, and no personal data ever.

The redacting processor is the last line of defence: code logs contact ids, topics and
counts, never a child's details, but if a personal field slips into an event it is masked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

# Keys whose values are personal data wherever they appear in an event, at any depth.
PERSONAL_KEYS = frozenset(
    {
        "given_name",
        "family_name",
        "name",
        "date_of_birth",
        "expected_date_of_birth",
        "dob",
        "nhs_number",
        "upn",
        "address",
        "line1",
        "line2",
        "town",
        "postcode",
        "email",
        "phone",
        "summary",
        "detail",
        "reason",
        "child",
        "referrer",
        "body",
        "payload",
        "raw",
        "first_name",
        "last_name",
        "surname",
        "full_name",
        "birth_date",
        "address_line1",
        "address_line2",
    },
)
REDACTED = "[redacted]"

# Keys are compared without case, underscores or hyphens: dateOfBirth, date-of-birth and
# DATE_OF_BIRTH are all date_of_birth.
_FOLDED_KEYS = frozenset(key.replace("_", "") for key in PERSONAL_KEYS)


def _is_personal(key: object) -> bool:
    return str(key).lower().replace("_", "").replace("-", "") in _FOLDED_KEYS


# Values that look like identifiers or dates are masked even under harmless keys: NHS numbers
# written with spaces or hyphens too, and dates as ISO or as DD/MM/YYYY (and - or . between).
_NHS_LIKE = re.compile(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b")
_UPN_LIKE = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")
_POSTCODE_LIKE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?!T)")
_UK_DATE_LIKE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b")


def _mask_text(text: str) -> str:
    for pattern in (_NHS_LIKE, _UPN_LIKE, _POSTCODE_LIKE, _DATE_LIKE, _UK_DATE_LIKE):
        text = pattern.sub(REDACTED, text)
    return text


def _redact(value: object) -> object:
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_personal(key) else _redact(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    if isinstance(value, str):
        return _mask_text(value)
    return value


def redact_personal_data(
    _logger: object,
    _method: str,
    event_dict: MutableMapping[str, Any],
) -> MutableMapping[str, Any]:
    """Mask personal fields and identifier-shaped values in every log event."""
    for key in list(event_dict):
        if _is_personal(key):
            event_dict[key] = REDACTED
        elif key != "timestamp":
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def configure_logging(
    service: str,
    *,
    level: str = "INFO",
    json: bool | None = None,
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the standard library for this process, once, at start-up."""
    stream = stream or sys.stderr
    render_json = not stream.isatty() if json is None else json
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if render_json
        else structlog.dev.ConsoleRenderer(colors=True)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # aiokafka and uvicorn log through the standard library: render their warnings the same way.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        ),
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
