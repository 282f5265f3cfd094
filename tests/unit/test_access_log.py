"""The local stack's access log writes webhook URLs without their query strings (Jotform's token)."""

from __future__ import annotations

import pytest
from chalice.local import ChaliceRequestHandler

from devtools.access_log import redact_access_log, redact_query

TOKEN = "Xq3v9s-secret-token-of-the-endpoint"


def test_a_request_line_is_logged_without_its_query_string(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN chalice local's request handler, redacted as the local stack starts it
    redact_access_log()
    handler = ChaliceRequestHandler.__new__(ChaliceRequestHandler)
    handler.client_address = ("127.0.0.1", 50000)
    handler.requestline = f"POST /hooks/jotform/ep_123?token={TOKEN} HTTP/1.1"

    # WHEN a Jotform request is logged
    handler.log_request(200)

    # THEN the path is there and the token is not
    logged = capsys.readouterr().err
    assert "/hooks/jotform/ep_123?[redacted]" in logged
    assert TOKEN not in logged


def test_only_query_strings_are_redacted() -> None:
    # GIVEN / WHEN / THEN
    assert redact_query('"GET /api/v1/programmes HTTP/1.1" 200') == '"GET /api/v1/programmes HTTP/1.1" 200'
    assert redact_query("/hooks/jotform/ep?token=a&b=c rest") == "/hooks/jotform/ep?[redacted] rest"
