"""Every signing scheme against its vendor's published example bodies: rotation, tolerance, malformed input."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.webhooks.signing import (
    BodyHmac,
    Encoding,
    SharedToken,
    StandardWebhooksVerifier,
    TimestampedHmac,
    TimestampLayout,
    TokenPlace,
)
from tests.support.events import load_event

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
SECRET = "a-long-random-endpoint-secret"
OLDER = "the-secret-before-the-rotation"


def _request(body: bytes, headers: dict[str, str], query: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest(method="POST", path="/hooks/vendor/ep_1", body=body, headers=headers, query=query or {})


def _oracle(key: bytes, message: bytes) -> bytes:
    """The HMAC computed here independently of the code under test."""
    return hmac.new(key, message, hashlib.sha256).digest()


def test_the_standard_webhooks_published_test_vector_verifies() -> None:
    # GIVEN the example secret, id, timestamp and body of the Standard Webhooks reference libraries
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    request = _request(
        b'{"test": 2432232314}',
        {
            "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "webhook-timestamp": "1614265330",
            "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        },
    )
    # WHEN / THEN it verifies, and sign() produces the published signature
    StandardWebhooksVerifier(FixedClock(at)).verify(request, [secret])
    assert StandardWebhooksVerifier.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, request.body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize(
    ("scheme", "header", "body_file", "expected"),
    [
        (
            BodyHmac(header="Typeform-Signature", encoding=Encoding.BASE64, prefix="sha256="),
            "typeform-signature",
            "typeform_form_response.json",
            lambda body: "sha256=" + base64.b64encode(_oracle(SECRET.encode(), body)).decode(),
        ),
        (
            BodyHmac(header="Tally-Signature", encoding=Encoding.BASE64),
            "tally-signature",
            "tally_FORM_RESPONSE.json",
            lambda body: base64.b64encode(_oracle(SECRET.encode(), body)).decode(),
        ),
        (
            BodyHmac(header="X-Cal-Signature-256", encoding=Encoding.HEX),
            "x-cal-signature-256",
            "calcom_BOOKING_CREATED.json",
            lambda body: _oracle(SECRET.encode(), body).hex(),
        ),
    ],
    ids=["typeform", "tally", "calcom"],
)
def test_a_body_hmac_signs_as_the_vendor_does_and_verifies_with_any_current_secret(
    scheme: BodyHmac, header: str, body_file: str, expected: Callable[[bytes], str]
) -> None:
    # GIVEN the vendor's published body, signed as its documentation says
    body = load_event(body_file)
    signature = expected(body)
    # WHEN / THEN sign() agrees, and the request verifies during a rotation
    assert scheme.sign(SECRET, body) == signature
    scheme.verify(_request(body, {header: signature}), [OLDER, SECRET])
    with pytest.raises(WebhookVerificationError, match="does not match"):
        scheme.verify(_request(body.replace(b"{", b"{ ", 1), {header: signature}), [SECRET])


def test_a_hex_signature_is_compared_whatever_its_case() -> None:
    scheme = BodyHmac(header="X-Cal-Signature-256", encoding=Encoding.HEX)
    body = load_event("calcom_BOOKING_CREATED.json")
    scheme.verify(_request(body, {"x-cal-signature-256": scheme.sign(SECRET, body).upper()}), [SECRET])


@pytest.mark.parametrize(
    "offered",
    ["", "sha256=", "sha1=abc", "sha256=not base64!", "sha256=" + "A" * 43 + "="],
    ids=["empty", "prefix-only", "other-prefix", "not-base64", "well-formed-but-wrong"],
)
def test_a_malformed_or_wrong_body_signature_is_refused_with_one_error_type(offered: str) -> None:
    scheme = BodyHmac(header="Typeform-Signature", encoding=Encoding.BASE64, prefix="sha256=")
    with pytest.raises(WebhookVerificationError):
        scheme.verify(_request(b"{}", {"typeform-signature": offered}), [SECRET])


def _calendly(clock_at: datetime) -> TimestampedHmac:
    return TimestampedHmac(
        FixedClock(clock_at),
        layout=TimestampLayout.CALENDLY,
        signature_header="Calendly-Webhook-Signature",
        tolerance=timedelta(minutes=3),
    )


def test_a_calendly_signature_over_t_dot_body_verifies_within_three_minutes_only() -> None:
    # GIVEN Calendly's invitee.created example signed at NOW as Calendly documents it
    body = load_event("calendly_invitee.created.json")
    t = str(int(NOW.timestamp()))
    header = f"t={t},v1=" + _oracle(SECRET.encode(), t.encode() + b"." + body).hex()
    request = _request(body, {"calendly-webhook-signature": header})
    # WHEN / THEN sign() agrees; it verifies now and 2 minutes later, not 4 minutes later
    assert _calendly(NOW).sign(SECRET, request, t) == header
    _calendly(NOW + timedelta(minutes=2)).verify(request, [OLDER, SECRET])
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        _calendly(NOW + timedelta(minutes=4)).verify(request, [SECRET])


@pytest.mark.parametrize(
    "header",
    ["v1=abc", "t=1,v1=", "t=soon,v1=00", "t=1,t=2,v1=00", "garbage", "t=1788253200,v1=zz"],
    ids=["no-t", "empty-v1", "t-not-a-number", "two-ts", "no-pairs", "not-hex"],
)
def test_a_malformed_calendly_header_is_refused_with_one_error_type(header: str) -> None:
    with pytest.raises(WebhookVerificationError):
        _calendly(NOW).verify(_request(b"{}", {"calendly-webhook-signature": header}), [SECRET])


def test_a_bamboohr_signature_over_body_and_timestamp_verifies_with_its_timestamp_header() -> None:
    # GIVEN BambooHR's event-based example, the timestamp in its own header
    body = load_event("bamboohr_employee.updated_event_based.json")
    timestamp = str(int(NOW.timestamp()))
    signature = _oracle(SECRET.encode(), body + timestamp.encode()).hex()
    scheme = TimestampedHmac(
        FixedClock(NOW + timedelta(seconds=30)),
        layout=TimestampLayout.BAMBOOHR,
        signature_header="X-BambooHR-Signature",
        timestamp_header="X-BambooHR-Timestamp",
    )
    request = _request(body, {"x-bamboohr-signature": signature, "x-bamboohr-timestamp": timestamp})
    # WHEN / THEN
    assert scheme.sign(SECRET, request, timestamp) == signature
    scheme.verify(request, [SECRET])
    with pytest.raises(WebhookVerificationError, match="x-bamboohr-timestamp"):
        scheme.verify(_request(body, {"x-bamboohr-signature": signature}), [SECRET])


def test_a_hubspot_v3_signature_covers_method_uri_body_and_millisecond_timestamp_for_five_minutes() -> None:
    # GIVEN HubSpot's propertyChange example posted to our URL, signed as v3 documents it
    body = load_event("hubspot_contact.propertyChange.json")
    millis = str(int(NOW.timestamp() * 1000))
    uri = "https://hooks.mentorflow.example.org/hooks/vendor/ep_1"
    signature = base64.b64encode(_oracle(SECRET.encode(), b"POST" + uri.encode() + body + millis.encode())).decode()
    headers = {
        "host": "hooks.mentorflow.example.org",
        "x-hubspot-signature-v3": signature,
        "x-hubspot-request-timestamp": millis,
    }

    def scheme(at: datetime) -> TimestampedHmac:
        return TimestampedHmac(
            FixedClock(at),
            layout=TimestampLayout.HUBSPOT_V3,
            signature_header="X-HubSpot-Signature-v3",
            timestamp_header="X-HubSpot-Request-Timestamp",
        )

    # WHEN / THEN it verifies 4 minutes later, not 6, and not for another URI
    scheme(NOW + timedelta(minutes=4)).verify(_request(body, headers), [SECRET])
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        scheme(NOW + timedelta(minutes=6)).verify(_request(body, headers), [SECRET])
    with pytest.raises(WebhookVerificationError, match="does not match"):
        scheme(NOW).verify(_request(body, headers | {"host": "elsewhere.example.org"}), [SECRET])


def test_a_url_token_verifies_against_any_current_secret_and_nothing_else() -> None:
    # GIVEN Jotform's way: the endpoint secret in ?token=
    scheme = SharedToken(place=TokenPlace.QUERY, name="token")
    # WHEN / THEN
    scheme.verify(_request(b"", {}, {"token": scheme.sign(SECRET)}), [OLDER, SECRET])
    for query in ({}, {"token": ""}, {"token": SECRET[:-1]}, {"Token": SECRET}):
        with pytest.raises(WebhookVerificationError):
            scheme.verify(_request(b"", {}, query), [SECRET])


def test_a_google_calendar_channel_token_is_read_from_its_header() -> None:
    # GIVEN a bodiless push notification carrying the channel token chosen at watch time
    scheme = SharedToken(place=TokenPlace.HEADER, name="X-Goog-Channel-Token")
    headers = {"x-goog-channel-id": "channel-ID-value", "x-goog-resource-state": "sync"}
    # WHEN / THEN
    scheme.verify(_request(b"", headers | {"x-goog-channel-token": SECRET}), [SECRET])
    with pytest.raises(WebhookVerificationError):
        scheme.verify(_request(b"", headers), [SECRET])
    with pytest.raises(WebhookVerificationError):
        scheme.verify(_request(b"", headers | {"x-goog-channel-token": "channel-token-value"}), [SECRET])
