"""The invite address end to end: SES stores the message in S3 and invokes receive-invitation with the receipt."""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest

from chalicelib.calendars.apis import MailStore
from chalicelib.domain.meetings import MeetingStatus
from tests.functional.calendar_scene import MENTEE, CalendarScene, calendar_scene
from tests.support.calendars import at
from tests.support.events import load_event

MENTOR = "milica.djordjevic@example.org"
BUCKET = "mentorflow-invitations"


def ses_record(
    scene: CalendarScene, message_id: str, *, verdict: str = "PASS", to: str | None = None
) -> dict[str, Any]:
    """One record of the event SES receiving sends a Lambda action (the receipt; the message itself is in S3)."""
    recipient = to or f"meet+{scene.endpoint_id}@mentorflow.example.org"
    return {
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": "2026-08-25T08:15:13.000Z",
                "source": MENTOR,
                "messageId": message_id,
                "destination": [MENTEE, recipient],
                "headersTruncated": False,
                "commonHeaders": {"from": [f"Milica <{MENTOR}>"], "to": [MENTEE, recipient], "subject": "Invitation"},
            },
            "receipt": {
                "timestamp": "2026-08-25T08:15:13.000Z",
                "processingTimeMillis": 320,
                "recipients": [recipient],
                "spamVerdict": {"status": "PASS"},
                "virusVerdict": {"status": "PASS"},
                "spfVerdict": {"status": verdict},
                "dkimVerdict": {"status": verdict},
                "dmarcVerdict": {"status": verdict},
                "action": {
                    "type": "Lambda",
                    "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:receive",
                    "invocationType": "Event",
                },
            },
        },
    }


@pytest.fixture
def scene() -> Any:
    with calendar_scene(None, mentor=MENTOR) as built:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        built.world.container._invite_mail = MailStore(BUCKET, "invitations/", "us-east-1", s3)
        yield built


def deliver(scene: CalendarScene, name: str, message_id: str, **receipt: Any) -> dict[str, Any]:
    s3 = scene.world.container.invite_mail.client
    s3.put_object(Bucket=BUCKET, Key=f"invitations/{message_id}", Body=load_event(name))
    response = scene.world.client.lambda_.invoke(
        "receive-invitation", {"Records": [ses_record(scene, message_id, **receipt)]}
    )
    payload: dict[str, Any] = response.payload
    return payload


def test_an_invitation_books_moves_and_cancels_the_pairs_meeting(scene: CalendarScene) -> None:
    # WHEN Google's invitation arrives, then its update, then the same update again
    first = deliver(scene, "invite_google_request.eml", "o1a2b3c4")
    moved = deliver(scene, "invite_google_update.eml", "o5d6e7f8")
    again = deliver(scene, "invite_google_update.eml", "o5d6e7f8")

    # THEN one meeting is kept, at its new time
    assert (first["states"], moved["states"], again["states"]) == (["done"], ["done"], ["done"])
    [meeting] = scene.meetings()
    assert (meeting.starts_at, meeting.status) == (at("2026-09-04T13:00:00+00:00"), MeetingStatus.SCHEDULED)
    assert first["disposition"] == "CONTINUE"


def test_an_apple_cancellation_arriving_before_its_booking_still_ends_cancelled(scene: CalendarScene) -> None:
    deliver(scene, "invite_apple_cancel.eml", "a2")
    deliver(scene, "invite_apple_request.eml", "a1")
    [meeting] = scene.meetings()
    assert meeting.status is MeetingStatus.CANCELLED


def test_an_outlook_series_counts_each_occurrence_and_its_exception_moves_one(scene: CalendarScene) -> None:
    deliver(scene, "invite_outlook_series.eml", "s1")
    deliver(scene, "invite_outlook_exception.eml", "s2")
    deliver(scene, "invite_outlook_cancel_occurrence.eml", "s3")
    meetings = sorted(scene.meetings(), key=lambda m: m.external_id)
    assert len(meetings) == 5
    assert sorted(m.starts_at for m in meetings if m.status is MeetingStatus.SCHEDULED)[1] == at(
        "2026-09-25T07:00:00+00:00"
    )
    assert [m.status for m in meetings].count(MeetingStatus.CANCELLED) == 1


def test_mail_failing_spf_and_dkim_or_to_another_address_is_dropped_unread(scene: CalendarScene) -> None:
    spoofed = deliver(scene, "invite_google_request.eml", "x1", verdict="FAIL")
    elsewhere = deliver(scene, "invite_google_request.eml", "x2", to="meet+ep_unknown0@mentorflow.example.org")
    assert (spoofed["states"], elsewhere["states"]) == (["ignored"], ["ignored"])
    assert scene.meetings() == []
    assert scene.world.storage.deliveries.for_endpoint(scene.endpoint_id) == []


def test_the_invite_source_refuses_http_posts(scene: CalendarScene) -> None:
    response = scene.post(
        "invite", headers={"Content-Type": "message/rfc822"}, body=load_event("invite_google_request.eml")
    )
    assert response.status_code == 401


INVITATIONS = [
    "invite_google_request.eml",
    "invite_google_update.eml",
    "invite_outlook_series.eml",
    "invite_outlook_exception.eml",
    "invite_outlook_cancel_occurrence.eml",
    "invite_apple_request.eml",
    "invite_apple_cancel.eml",
]


def final_log(order: list[str]) -> dict[str, tuple[str, str]]:
    with calendar_scene(None, mentor=MENTOR) as scene:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        scene.world.container._invite_mail = MailStore(BUCKET, "invitations/", "us-east-1", s3)
        for name in order:
            deliver(scene, name, "m-" + name.removesuffix(".eml").replace("_", "-"))
        return {m.external_id: (m.status.value, m.starts_at.isoformat()) for m in scene.meetings()}


def test_invitations_shuffled_and_repeated_end_in_the_same_log_as_one_clean_delivery() -> None:
    # GIVEN the log one clean delivery in order leaves
    clean = final_log(INVITATIONS)

    # WHEN the same invitations arrive shuffled, some twice
    shuffled = [final_log(random.Random(seed).sample(INVITATIONS * 2, len(INVITATIONS) * 2)) for seed in (7, 21)]

    # THEN every order ends in the same log
    assert len(clean) == 7
    assert all(log == clean for log in shuffled)
