"""Structured JSON logging with tenant, programme and request ids, and nothing personal.

Log records carry ids and counts only. ``redact`` is a last line of defence: any
field whose name suggests personal data or a secret is masked before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

_SENSITIVE = (
    "email",
    "name",
    "body",
    "secret",
    "token",
    "signature",
    "authorization",
    "password",
    "key",
    "answer",
)
_ALLOWED = frozenset(
    {
        "tenant_id",
        "programme_id",
        "endpoint_id",
        "delivery_id",
        "participant_id",
        "pair_id",
        "message_id",
        "key_id",
        "request_id",
        "run_id",
        "source",
        "state",
        "template",
        "job",
        "error_type",
        "status_code",
        "attempts",
        "count",
        "name_of_job",
    }
)

_logger: Logger | None = None


def get_logger() -> Logger:
    global _logger
    if _logger is None:
        _logger = Logger(service="mentorflow")
    return _logger


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        lowered = key.lower()
        if key not in _ALLOWED and any(word in lowered for word in _SENSITIVE):
            safe[key] = "[redacted]"
        else:
            safe[key] = value
    return safe


def log_event(message: str, **fields: Any) -> None:
    """Log one event with ids only; values of suspicious field names are masked."""
    get_logger().info(message, extra=redact(fields))


def log_warning(message: str, **fields: Any) -> None:
    get_logger().warning(message, extra=redact(fields))


def begin(**ids: str | None) -> None:
    """Start a request or job: forget the previous invocation's ids (a warm Lambda keeps the logger), bind these."""
    get_logger().clear_state()
    bind(**ids)


def bind(**ids: str | None) -> None:
    """Attach correlation ids (tenant, programme, request) to every following record of this invocation."""
    get_logger().append_keys(**{k: v for k, v in redact(ids).items() if v is not None})


def unbind(*names: str) -> None:
    get_logger().remove_keys(list(names))
