"""Microsoft Graph change and lifecycle notifications for Outlook calendars.

Graph first checks the URL by posting ``?validationToken=<opaque text>`` and expects the
token back, URL-decoded, as ``text/plain`` within ten seconds: the source's handshake.
Graph signs nothing; each notification carries the ``clientState`` chosen when the
subscription was made (the endpoint's secret), so every item of a batch must carry a
current secret or the request is refused. Change notifications name the event
(``resourceData.id``), never its contents; lifecycle notifications (``lifecycleEvent``)
ask for reauthorisation, say the subscription is gone, or say notifications were missed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.calendars import CalendarNotice, CalendarPush, NoticeKind, Provider
from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import HandshakeAnswer, SourceSpec, WebhookRequest
from chalicelib.webhooks.signing import constant_time_equal

NAME = "msgraph"
VALIDATION_PARAMETER = "validationToken"
# Graph's tokens are short; a longer one is not Graph's and is not echoed.
MAX_VALIDATION_TOKEN = 1024
_LIFECYCLE = {kind.value: kind for kind in NoticeKind if kind not in (NoticeKind.CHANGED, NoticeKind.DELETED)}


class GraphNotificationError(PayloadParseError):
    what = "Microsoft Graph notification"


class _ResourceData(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = Field(default=None, max_length=500)
    odata_type: str | None = Field(default=None, alias="@odata.type")


class _Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    subscription_id: str = Field(alias="subscriptionId", min_length=1, max_length=200)
    client_state: str | None = Field(default=None, alias="clientState", repr=False)
    change_type: str | None = Field(default=None, alias="changeType")
    lifecycle_event: str | None = Field(default=None, alias="lifecycleEvent")
    resource_data: _ResourceData | None = Field(default=None, alias="resourceData")


class _Batch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: list[_Notification] = Field(min_length=1, max_length=1000)


def handshake(request: WebhookRequest) -> HandshakeAnswer | None:
    """Echo Graph's ``validationToken`` as plain text, exactly as decoded, whatever characters it holds."""
    token = request.query.get(VALIDATION_PARAMETER)
    if token is None:
        return None
    if len(token) > MAX_VALIDATION_TOKEN or any(ord(c) < 32 and c not in "\t" for c in token):
        return HandshakeAnswer(body="not a validation token", status=400)
    return HandshakeAnswer(body=token, content_type="text/plain; charset=utf-8")


def _batch(body: bytes | None) -> _Batch:
    if body is None:
        raise GraphNotificationError("the raw body is no longer kept")
    try:
        return _Batch.model_validate(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValidationError) as exc:
        raise GraphNotificationError("it is not a batch of notifications with subscription ids") from exc


class ClientStateVerifier:
    """Every notification of a batch must carry a current ``clientState``; one stranger refuses the batch."""

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        try:
            batch = _batch(request.body)
        except GraphNotificationError as exc:
            raise WebhookVerificationError("body is not a batch of Graph notifications") from exc
        for item in batch.value:
            offered = item.client_state or ""
            if not offered or not any(constant_time_equal(offered, secret) for secret in secrets):
                raise WebhookVerificationError("clientState does not match")

    @staticmethod
    def sign(secret: str, notifications: list[dict[str, Any]]) -> bytes:
        """A notification batch as Graph sends it with ``secret`` as the client state (tests, kits)."""
        return json.dumps({"value": [{**n, "clientState": secret} for n in notifications]}).encode()


def _notice(item: _Notification) -> CalendarNotice | None:
    if item.lifecycle_event is not None:
        lifecycle = _LIFECYCLE.get(item.lifecycle_event)
        return None if lifecycle is None else CalendarNotice(watch_id=item.subscription_id, kind=lifecycle)
    event_id = item.resource_data.id if item.resource_data else None
    if not event_id:
        return None
    kind = NoticeKind.DELETED if (item.change_type or "").strip() == "deleted" else NoticeKind.CHANGED
    return CalendarNotice(watch_id=item.subscription_id, kind=kind, event_id=event_id)


def parse_notifications(delivery: Delivery) -> CalendarPush:
    """The subscriptions and events a stored batch names.

    Raises
    ------
    GraphNotificationError
        Not a batch of notifications.
    IrrelevantEvent
        No item names an event or a lifecycle event this feature acts on.
    """
    notices = [notice for item in _batch(delivery.body).value if (notice := _notice(item)) is not None]
    if not notices:
        raise IrrelevantEvent("no notification names an event or a known lifecycle event")
    return CalendarPush(provider=Provider.MICROSOFT, notices=notices)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: ClientStateVerifier(),
    parsers={Purpose.MEETINGS: parse_notifications},
    content_types=("application/json",),
    secret_style=SecretStyle.TOKEN,
    handshake=handshake,
)
