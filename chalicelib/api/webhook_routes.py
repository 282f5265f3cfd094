"""``POST /hooks/{source}/{endpoint_id}``: the one URL shape every vendor posts to.

Thin on purpose: build a ``WebhookRequest`` from the raw bytes, hand it to the inbox
service, map its errors. A bad signature answers 401 before anything is parsed or stored.
A vendor checking the URL (a handshake) gets the source's answer, as the source says.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib.api.http import (
    ANY_CONTENT_TYPE,
    checked_path_param,
    error_response,
    json_response,
    public_base_url,
    raw_bytes,
)
from chalicelib.container import get_container
from chalicelib.errors import MentoringError
from chalicelib.logging import begin
from chalicelib.services import inbox
from chalicelib.services.inbox.ports import HandshakeAnswer, WebhookRequest

bp = Blueprint(__name__)


@bp.route("/hooks/{source}/{endpoint_id}", methods=["POST"], content_types=ANY_CONTENT_TYPE)
def receive_webhook(source: str, endpoint_id: str) -> Response:
    request = bp.current_request
    container = get_container()
    headers = {name.lower(): value for name, value in request.headers.items()}
    webhook_request = WebhookRequest(
        method=request.method,
        # Chalice's request.path is the route template; a vendor signing its URL (HubSpot v3) signed the real one.
        path=urlsplit(public_base_url(request)).path + f"/hooks/{source}/{endpoint_id}",
        body=raw_bytes(request.raw_body),
        headers=headers,
        query=dict(request.query_params or {}),
    )
    begin(endpoint_id=endpoint_id, source=source)
    try:
        checked_path_param("endpoint_id", endpoint_id)
        receipt = inbox.receive(
            source=source,
            endpoint_id=endpoint_id,
            request=webhook_request,
            content_type=headers.get("content-type", "application/json"),
            specs=container.sources,
            ctx=container.processing,
            policy=container.inbox_policy,
        )
    except MentoringError as exc:
        return error_response(exc)
    if isinstance(receipt, HandshakeAnswer):
        return Response(body=receipt.body, status_code=receipt.status, headers={"Content-Type": receipt.content_type})
    spec = container.sources.spec(source)
    if spec is not None and spec.acknowledge is not None:
        ack = spec.acknowledge()
        return Response(body=ack.body, status_code=ack.status, headers={"Content-Type": ack.content_type})
    # 202 for anything we keep and retry ourselves: the vendor must not resend it.
    status = 200 if receipt.state.value in ("done", "ignored") else 202
    return json_response(
        {"delivery_id": receipt.delivery_id, "state": receipt.state.value, "duplicate": receipt.duplicate},
        status,
    )
