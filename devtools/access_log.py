"""``chalice local``'s access log without query strings.

Vendors that sign nothing (Jotform) prove themselves by a token in the webhook URL's
query string; the access log would otherwise write that token down with every request.
The local stack runs ``chalice local`` after ``redact_access_log()``.
"""

from __future__ import annotations

import re
from typing import Any

_QUERY = re.compile(r"\?[^\s\"]*")


def redact_query(text: str) -> str:
    """``text`` with the query string of every URL in it replaced by ``?[redacted]``."""
    return _QUERY.sub("?[redacted]", text)


def redact_access_log() -> None:
    """Make ``chalice local``'s request handler log request lines without their query strings."""
    from chalice.local import ChaliceRequestHandler

    if getattr(ChaliceRequestHandler, "_query_redacted", False):
        return
    original = ChaliceRequestHandler.log_message

    def log_message(self: Any, format: str, *args: Any) -> None:
        original(self, format, *(redact_query(a) if isinstance(a, str) else a for a in args))

    ChaliceRequestHandler.log_message = log_message
    ChaliceRequestHandler._query_redacted = True
