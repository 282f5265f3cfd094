"""Specification of the e-mail channels that need no AWS: the .eml folder, the recording fake and SES error handling."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.domain.message import Message, message_id_for
from chalicelib.notify.channels import (
    DeliveryFailed,
    FileEmailChannel,
    RecordingChannel,
    SesEmailChannel,
    channel_from_settings,
)
from chalicelib.settings import Settings

from .conftest import NOW, TENANT

SENDER = "mentorflow@example.org"


def make_message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        "message_id": message_id_for(TENANT, "welcome:soren"),
        "tenant_id": TENANT,
        "idempotency_key": "welcome:soren",
        "recipient": "soren@example.dk",
        "language": "da",
        "template": "welcome",
        "subject": "Vi har modtaget din ansøgning til Mentorår på Ærø",
        "body_text": "Kære Søren Ærø\n\nTak for din ansøgning til Mentorår på Ærø.\n",
        "created_at": NOW,
    }
    values.update(changes)
    return Message(**values)


def read_eml(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class RejectingSes:
    """An SES client stand-in that rejects like SES does: with the address in its error text."""

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        address = kwargs["Destination"]["ToAddresses"][0]
        raise ClientError(
            {"Error": {"Code": "MessageRejected", "Message": f"Email address is not verified: {address}"}},
            "SendEmail",
        )


class UnreachableSes:
    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        raise EndpointConnectionError(endpoint_url="https://email.eu-west-1.amazonaws.com")


def test_the_file_channel_writes_one_readable_utf8_eml_per_message(tmp_path: Path) -> None:
    # GIVEN a folder that does not exist yet and a Danish message
    folder = tmp_path / "outbox"
    message = make_message()

    # WHEN it is sent through the file channel
    provider_id = FileEmailChannel(folder).send(message, sender=SENDER)

    # THEN one .eml file holds it (CRLF line ends, as RFC 822 wants), and a mail reader gets back subject and body
    (written,) = folder.glob("*.eml")
    assert written.name == f"{message.message_id}.eml"
    email = read_eml(written)
    assert email["From"] == SENDER
    assert email["To"] == "soren@example.dk"
    assert email["Subject"] == "Vi har modtaget din ansøgning til Mentorår på Ærø"
    assert email["Message-ID"] == provider_id
    assert email.get_content_charset() == "utf-8"
    assert email.get_content().replace("\r\n", "\n") == message.body_text


def test_the_file_channel_replaces_the_file_when_a_message_is_written_again(tmp_path: Path) -> None:
    # GIVEN a message already written
    channel = FileEmailChannel(tmp_path)
    channel.send(make_message(), sender=SENDER)

    # WHEN it is written again
    channel.send(make_message(), sender=SENDER)

    # THEN the folder still holds one file and no leftovers
    assert [p.name for p in tmp_path.iterdir()] == [f"{make_message().message_id}.eml"]


def test_the_file_channel_reports_an_unwritable_folder_without_personal_data(tmp_path: Path) -> None:
    # GIVEN a "folder" that is a file
    blocked = tmp_path / "outbox"
    blocked.write_text("not a folder")

    # WHEN a message is sent there
    with pytest.raises(DeliveryFailed) as raised:
        FileEmailChannel(blocked).send(make_message(), sender=SENDER)

    # THEN the error says what failed, not to whom
    assert "soren" not in raised.value.message
    assert raised.value.message.startswith("outbox folder not writable")


def test_the_recording_channel_keeps_what_was_sent_and_fails_when_told(tmp_path: Path) -> None:
    # GIVEN a recording channel told to fail once
    channel = RecordingChannel()
    channel.fail_next()

    # WHEN two sends are tried
    with pytest.raises(DeliveryFailed):
        channel.send(make_message(), sender=SENDER)
    provider_id = channel.send(make_message(), sender=SENDER)

    # THEN the first failed, the second is recorded
    assert channel.attempts == 2
    assert provider_id == "recorded-1"
    assert [m.message_id for m in channel.sent] == [make_message().message_id]


def test_the_ses_client_is_made_on_the_first_send_only() -> None:
    # GIVEN an SES channel whose client factory counts its calls
    made: list[RejectingSes] = []

    def factory() -> Any:
        made.append(RejectingSes())
        return made[-1]

    channel = SesEmailChannel(factory)
    before = len(made)

    # WHEN two messages are sent
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            channel.send(make_message(), sender=SENDER)

    # THEN no client existed before, and one was made for both
    assert before == 0
    assert len(made) == 1


def test_an_ses_rejection_becomes_delivery_failed_with_the_code_only() -> None:
    # GIVEN SES rejecting with the recipient in its error text
    channel = SesEmailChannel(lambda: RejectingSes())  # type: ignore[arg-type, return-value]

    # WHEN a message is sent
    with pytest.raises(DeliveryFailed) as raised:
        channel.send(make_message(), sender=SENDER)

    # THEN our error carries the SES code, keeps the cause, and leaves the address out
    assert raised.value.message == "SES error MessageRejected"
    assert isinstance(raised.value.__cause__, ClientError)
    assert "soren" not in str(raised.value)


def test_an_unreachable_ses_becomes_delivery_failed() -> None:
    # GIVEN SES that cannot be reached
    channel = SesEmailChannel(lambda: UnreachableSes())  # type: ignore[arg-type, return-value]

    # WHEN a message is sent
    # THEN it is reported as a delivery failure naming the kind of error
    with pytest.raises(DeliveryFailed, match=r"SES unreachable \(EndpointConnectionError\)"):
        channel.send(make_message(), sender=SENDER)


def test_the_settings_choose_the_channel(tmp_path: Path) -> None:
    # GIVEN settings for the local stack and for a deployed stage
    local = Settings(email_channel="file", outbox_dir=str(tmp_path / "outbox"))
    deployed = Settings(email_channel="ses")

    # WHEN channels are made from them
    # THEN the local stack writes files and the stage uses SES, neither touching anything yet
    assert isinstance(channel_from_settings(local), FileEmailChannel)
    assert isinstance(channel_from_settings(deployed), SesEmailChannel)
    assert not (tmp_path / "outbox").exists()
