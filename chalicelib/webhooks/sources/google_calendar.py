"""Google Calendar push notifications: a header-only ping naming a watch channel.

Google posts no body. ``X-Goog-Channel-Token`` echoes the token chosen when the channel
was created (the endpoint's secret), ``X-Goog-Channel-ID`` names the channel (one per
connected calendar) and ``X-Goog-Message-Number`` counts the channel's messages, so the
pair of them is the delivery id. The ping says only "something changed"; the calendars
feature then pulls the changes with ``events.list`` and the stored sync token. A ``sync``
ping (message 1, sent when the channel opens) is treated the same: it starts the first sync.
"""

from __future__ import annotations

import re

from chalicelib.domain.calendars import CalendarNotice, CalendarPush, Provider
from chalicelib.domain.payloads import PayloadParseError
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec, WebhookRequest
from chalicelib.webhooks.signing import SharedToken, TokenPlace

NAME = "google-calendar"
TOKEN_HEADER = "x-goog-channel-token"  # noqa: S105 - a header name
CHANNEL_HEADER = "x-goog-channel-id"
MESSAGE_HEADER = "x-goog-message-number"
# Channel ids are ours ([A-Za-z0-9-_+/=], at most 64 characters); anything else is not one of our channels.
_CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
_MESSAGE_NUMBER = re.compile(r"[0-9]{1,20}")

SIGNING = SharedToken(place=TokenPlace.HEADER, name=TOKEN_HEADER)


class GoogleCalendarPushError(PayloadParseError):
    what = "Google Calendar notification"


def delivery_id(request: WebhookRequest) -> str | None:
    """``<channel id>:<message number>``: Google numbers each channel's messages, so the pair is unique."""
    channel = (request.header(CHANNEL_HEADER) or "").strip()
    number = (request.header(MESSAGE_HEADER) or "").strip()
    if not _CHANNEL_ID.fullmatch(channel) or not _MESSAGE_NUMBER.fullmatch(number):
        return None
    return f"{channel}:{number}"


def parse_push(delivery: Delivery) -> CalendarPush:
    """The channel a stored ping came through, read back from its delivery id.

    Raises
    ------
    GoogleCalendarPushError
        The ping carried no usable channel id and message number.
    """
    channel, sep, number = delivery.delivery_id.rpartition(":")
    if not sep or not _CHANNEL_ID.fullmatch(channel) or not _MESSAGE_NUMBER.fullmatch(number):
        raise GoogleCalendarPushError("it names no channel id and message number")
    return CalendarPush(provider=Provider.GOOGLE, notices=[CalendarNotice(watch_id=channel)])


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.MEETINGS: parse_push},
    # Google sends "application/json; utf-8" with an empty body, or no content type at all.
    content_types=("application/json", "text/plain", "application/octet-stream"),
    secret_style=SecretStyle.TOKEN,
    delivery_id=delivery_id,
)
