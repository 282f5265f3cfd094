"""Standard Webhooks verification: signatures, several secrets, several signatures, tolerance."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.signing import StandardWebhooksVerifier
from tests.support.events import load_event

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
BODY = load_event("standardwebhooks_contact.created_full.json")


def _request(
    secret: str, at: datetime, body: bytes = BODY, msg_id: str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
) -> WebhookRequest:
    ts = int(at.timestamp())
    return WebhookRequest(
        method="POST",
        path="/hooks/standard/ep",
        body=body,
        headers={
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": StandardWebhooksVerifier.sign(secret, msg_id, ts, body),
        },
    )


def test_the_spec_example_body_verifies_and_yields_its_message_id() -> None:
    # GIVEN
    verifier = StandardWebhooksVerifier(FixedClock(NOW))
    request = _request(SECRET, NOW)
    # WHEN
    verifier.verify(request, [SECRET])
    # THEN
    assert verifier.delivery_id(request) == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    assert json.loads(request.body)["type"] == "contact.created"


def test_any_current_secret_verifies_during_a_rotation() -> None:
    verifier = StandardWebhooksVerifier(FixedClock(NOW))
    verifier.verify(_request(OTHER, NOW), [SECRET, OTHER])


def test_a_header_with_several_signatures_verifies_if_one_matches() -> None:
    # GIVEN
    request = _request(SECRET, NOW)
    several = dict(request.headers)
    several["webhook-signature"] = "v1,bm90LXRoaXMtb25l " + several["webhook-signature"] + " v2,ignored"
    # WHEN / THEN
    StandardWebhooksVerifier(FixedClock(NOW)).verify(
        WebhookRequest(method="POST", path="/", body=BODY, headers=several), [SECRET]
    )


@pytest.mark.parametrize("skew", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
def test_a_timestamp_outside_five_minutes_is_refused(skew: timedelta) -> None:
    verifier = StandardWebhooksVerifier(FixedClock(NOW))
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verifier.verify(_request(SECRET, NOW + skew), [SECRET])


def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted() -> None:
    StandardWebhooksVerifier(FixedClock(NOW)).verify(_request(SECRET, NOW - timedelta(minutes=5)), [SECRET])


def test_a_changed_body_an_unknown_secret_or_a_broken_secret_never_verifies() -> None:
    verifier = StandardWebhooksVerifier(FixedClock(NOW))
    signed = _request(SECRET, NOW)
    tampered = WebhookRequest(method="POST", path="/", body=BODY + b" ", headers=signed.headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, [SECRET])
    with pytest.raises(WebhookVerificationError):
        verifier.verify(signed, [OTHER])
    with pytest.raises(WebhookVerificationError):
        verifier.verify(signed, ["whsec_not base64!"])
    with pytest.raises(WebhookVerificationError):
        verifier.verify(signed, [])
