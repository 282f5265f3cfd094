"""An invitation's calendar file leaves as a MIME attachment: through SES's raw API, and as a file locally."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.domain.message import Attachment, Message
from chalicelib.notify.channels import FileEmailChannel, SesEmailChannel
from chalicelib.notify.ics import invitation_ics, reader_zone
from tests.support.aws import mock_aws

SENDER = "mentorflow@example.org"
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def _message() -> Message:
    ics = invitation_ics(
        uid="inv_1@mentorflow",
        title="Obuka mentora: Đorđević & Ærø",
        # Belgrade moves its clocks on 29 March; the training is the evening after.
        starts_at=datetime(2026, 3, 29, 16, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 29, 18, 0, tzinfo=UTC),
        zone=reader_zone("Europe/Belgrade"),
        stamp=NOW,
        location="Kulturni centar, Beograd",
    )
    return Message(
        message_id="msg_invite_1",
        tenant_id="ten_a",
        idempotency_key="event:inv_1:invite",
        recipient="jelena@example.rs",
        language="sr",
        template="event_invitation",
        subject="Pozvani ste na obuku mentora",
        body_text="Dobar dan, Jelena!",
        created_at=NOW,
        attachments=[ics],
    )


def _calendar_part(raw: bytes) -> tuple[str, str]:
    parsed = email.message_from_bytes(raw, policy=default)
    (part,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    return part.get_filename() or "", part.get_content()


def test_the_invitation_is_in_the_readers_time_zone_across_the_daylight_saving_change() -> None:
    # GIVEN an invitation for 16:00 UTC on the first day of Belgrade's summer time
    attachment: Attachment = _message().attachments[0]
    # THEN the calendar says 18:00 Belgrade time, with the zone's rules, and keeps the names intact
    assert "DTSTART;TZID=Europe/Belgrade:20260329T180000" in attachment.text
    assert "BEGIN:VTIMEZONE" in attachment.text
    assert "Đorđević & Ærø" in attachment.text
    assert attachment.content_type == "text/calendar; method=REQUEST"


def test_the_file_channel_writes_the_calendar_file_beside_the_mail(tmp_path: Path) -> None:
    # GIVEN the local file channel
    channel = FileEmailChannel(tmp_path)
    # WHEN the invitation is sent
    channel.send(_message(), sender=SENDER)
    # THEN the mail holds the calendar part and the .ics lies beside it
    name, text = _calendar_part((tmp_path / "msg_invite_1.eml").read_bytes())
    assert name == "invitation.ics"
    assert "BEGIN:VEVENT" in text
    assert (tmp_path / "msg_invite_1.invitation.ics").read_bytes().decode("utf-8") == _message().attachments[0].text


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
        yield


def test_ses_sends_a_message_with_an_attachment_as_raw_mime(ses: None) -> None:
    # GIVEN the SES channel
    channel = SesEmailChannel(lambda: boto3.client("ses", region_name="us-east-1"))
    # WHEN the invitation is sent
    provider_id = channel.send(_message(), sender=SENDER)
    # THEN SES received one raw message carrying the calendar part
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    (sent,) = backend.sent_messages
    assert provider_id
    name, text = _calendar_part(sent.raw_data.encode() if isinstance(sent.raw_data, str) else sent.raw_data)
    assert name == "invitation.ics"
    assert "TZID=Europe/Belgrade" in text
