"""Azure Function ``sign_and_forward``: the HTTP entry point the Power Automate flow calls.

Thin on purpose: read the settings and the body, hand them to ``mentorflow_forwarder``,
answer with its outcome. Logs carry the outcome's status only: the body holds a
person's answers and the settings hold the secret.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

import azure.functions as func
import requests
from mentorflow_forwarder import ConfigError, ForwarderConfig, forward

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

_session: requests.Session | None = None


def _get_session() -> requests.Session:
    """One connection pool per worker, created on first use rather than at import."""
    global _session
    if _session is None:
        _session = requests.Session()
    return _session


def _json(status: int, body: dict[str, object]) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


@app.route(route="sign_and_forward/{target?}", methods=["POST"])
def sign_and_forward(req: func.HttpRequest) -> func.HttpResponse:
    try:
        config = ForwarderConfig.from_environ(os.environ, req.route_params.get("target"))
    except ConfigError as exc:
        logging.error("sign_and_forward: %s", exc)
        return _json(500, {"error": str(exc)})
    try:
        payload = req.get_json()
    except ValueError:
        return _json(400, {"error": "the request body is not JSON"})
    outcome = forward(_get_session(), config, payload, datetime.now(UTC))
    logging.info("sign_and_forward: answered HTTP %s", outcome.status)
    return _json(outcome.status, outcome.body)
