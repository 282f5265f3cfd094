"""The invite address: a message SES received for ``meet+<endpoint id>@<mail domain>``, into the meeting log.

SES stores the raw message in S3 and then invokes our function with the receipt (no body).
The receipt names the endpoint (the address's ``+`` part) and carries SES's verdicts: a
message that is spam, carries a virus, or passes neither SPF nor DKIM is dropped unread.
The message is stored as a delivery of the endpoint and processed by the inbox like any
webhook, so it is handled once, retried when processing fails, and can be replayed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.calendars.sync import log_meeting
from chalicelib.domain.calendars import Invitation
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint
from chalicelib.logging import log_event
from chalicelib.services.inbox import InboxPolicy
from chalicelib.services.inbox.ports import ProcessingContext, ProcessOutcome, SourceRegistry
from chalicelib.services.inbox.service import STALE_RECEIVED_AFTER, process

SOURCE = "invite"
_ADDRESS = re.compile(r"^[^+@]+\+(?P<endpoint>ep_[a-z0-9]{1,40})@", re.IGNORECASE)
# Reads the raw message SES stored: (message id) -> bytes, or None when it is over ``max_bytes``.
MessageReader = Callable[[str, int], bytes | None]


def _passed(receipt: Mapping[str, Any], verdict: str) -> bool:
    found = receipt.get(verdict)
    return isinstance(found, dict) and found.get("status") == "PASS"


def receive_mail(
    record: Mapping[str, Any],
    *,
    read_message: MessageReader,
    specs: SourceRegistry,
    ctx: ProcessingContext,
    policy: InboxPolicy,
) -> list[str]:
    """Store and process one SES receipt for each invite address it was sent to; the states reached come back."""
    ses = record.get("ses")
    ses = ses if isinstance(ses, dict) else {}
    mail, receipt = ses.get("mail") or {}, ses.get("receipt") or {}
    message_id = str(mail.get("messageId") or "")
    if not message_id or not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", message_id):
        return ["ignored"]
    trusted = (
        _passed(receipt, "spamVerdict")
        and _passed(receipt, "virusVerdict")
        and (_passed(receipt, "spfVerdict") or _passed(receipt, "dkimVerdict"))
    )
    if not trusted:
        log_event("invitation dropped", reason="verdicts")
        return ["ignored"]
    states = []
    for recipient in receipt.get("recipients") or []:
        endpoint = _endpoint(ctx, str(recipient))
        if endpoint is None:
            states.append("ignored")
            continue
        body = read_message(message_id, policy.max_body_bytes)
        if body is None:
            log_event("invitation dropped", endpoint_id=endpoint.endpoint_id, reason="too large")
            states.append("ignored")
            continue
        states.append(_store_and_process(endpoint, message_id, body, specs, ctx, policy).value)
    return states


def _endpoint(ctx: ProcessingContext, recipient: str) -> WebhookEndpoint | None:
    matched = _ADDRESS.match(recipient.strip())
    if matched is None:
        return None
    endpoint = ctx.storage.endpoints.get(matched.group("endpoint").lower())
    return endpoint if endpoint is not None and endpoint.source == SOURCE else None


def _store_and_process(
    endpoint: WebhookEndpoint,
    message_id: str,
    body: bytes,
    specs: SourceRegistry,
    ctx: ProcessingContext,
    policy: InboxPolicy,
) -> DeliveryState:
    now = ctx.clock.now()
    delivery = Delivery(
        delivery_id=f"ses:{message_id}",
        endpoint_id=endpoint.endpoint_id,
        tenant_id=endpoint.tenant_id,
        programme_id=endpoint.programme_id,
        source=SOURCE,
        content_type="message/rfc822",
        body=body,
        received_at=now,
        updated_at=now,
        next_attempt_at=now + STALE_RECEIVED_AFTER,
    )
    if not ctx.storage.deliveries.add(delivery):
        existing = ctx.storage.deliveries.get(endpoint.endpoint_id, delivery.delivery_id)
        return existing.state if existing else DeliveryState.RECEIVED
    return process(delivery.model_copy(update={"version": 1}), endpoint, specs, ctx, policy).state


def handle_invitation(item: Invitation, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """Every meeting of an invitation into the programme's log (events of nobody's pair are dropped there)."""
    for event in item.events:
        log_meeting(event, endpoint.tenant_id, endpoint.programme_id, ctx)
    return ProcessOutcome.done(events=len(item.events))
