"""Specification of sending through SES, checked against moto's SES backend (no network, no real AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.clock import FixedClock
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.participant import Profile, Role
from chalicelib.notify.channels import DeliveryFailed, SesEmailChannel
from chalicelib.notify.outbox import Notifier
from chalicelib.services.notifications import NEVER_DUE, send_pending
from chalicelib.storage.repositories import Storage, dynamo_storage, in_memory_storage
from chalicelib.storage.table import create_table
from tests.support import builders
from tests.support.aws import mock_aws

REGION = "us-east-1"
SENDER = "mentorflow@example.org"
TENANT = "ten_acme"
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture(params=["memory", "dynamodb"])
def storage(request: pytest.FixtureRequest, aws: None) -> Storage:
    if request.param == "memory":
        return in_memory_storage()
    resource = boto3.resource("dynamodb", region_name=REGION)
    create_table(resource.meta.client, "mentorflow-notify-test")
    return dynamo_storage(resource.Table("mentorflow-notify-test"))


def ses_client() -> Any:
    return boto3.client("ses", region_name=REGION)


def verify_sender() -> None:
    ses_client().verify_email_identity(EmailAddress=SENDER)


def sent_messages() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def make_message() -> Message:
    return builders.message(
        TENANT,
        "welcome:djordje",
        recipient="djordje@example.rs",
        subject="Primili smo vašu prijavu za program „Mentorstvo 2026“",
        body_text="Dobar dan, Đorđe Đorđević!\n\nHvala vam što ste se prijavili.\n",
        created_at=NOW,
    )


def test_a_message_is_sent_through_ses_with_its_utf8_subject_and_body(aws: None) -> None:
    # GIVEN a verified sender and a channel whose client is made on first use
    verify_sender()
    channel = SesEmailChannel(ses_client)
    message = make_message()

    # WHEN the message is sent
    provider_id = channel.send(message, sender=SENDER)

    # THEN SES holds exactly that message, subject and body unchanged, to the recipient only
    (sent,) = sent_messages()
    assert sent.id == provider_id
    assert sent.source == SENDER
    assert sent.subject == "Primili smo vašu prijavu za program „Mentorstvo 2026“"
    assert sent.body == "Dobar dan, Đorđe Đorđević!\n\nHvala vam što ste se prijavili.\n"
    assert sent.destinations == {"ToAddresses": ["djordje@example.rs"]}


def test_ses_refusing_an_unverified_sender_is_a_delivery_failure_without_the_address(aws: None) -> None:
    # GIVEN a sender that was never verified
    channel = SesEmailChannel(ses_client)

    # WHEN a message is sent
    with pytest.raises(DeliveryFailed) as raised:
        channel.send(make_message(), sender=SENDER)

    # THEN nothing was sent and our error names the SES code, not the address
    assert sent_messages() == []
    assert raised.value.message == "SES error MessageRejected"
    assert SENDER not in str(raised.value)


def queue_lithuanian_welcome(storage: Storage, clock: FixedClock) -> Message:
    programme = builders.programme(
        TENANT,
        "prg_spring",
        name="Mentorystė 2026",
        matching_date=date(2026, 9, 1),
        languages=["lt", "en"],
        default_language="lt",
        created_at=NOW,
        updated_at=NOW,
    )
    person = builders.participant(
        TENANT,
        "prg_spring",
        "par_egle",
        profile=Profile(role=Role.MENTEE, email="egle@example.lt", name="Eglė Čiurlionytė", language="lt"),
        created_at=NOW,
        updated_at=NOW,
    )
    message = Notifier(storage.messages, clock).queue(
        tenant_id=TENANT,
        recipient=person,
        programme=programme,
        template="welcome",
        context={},
        idempotency_key="welcome:par_egle",
    )
    assert message is not None
    return message


def test_the_sweep_sends_a_queued_welcome_through_ses_once(storage: Storage) -> None:
    # GIVEN a welcome queued for a Lithuanian participant, and a verified sender
    verify_sender()
    clock = FixedClock(NOW)
    queued = queue_lithuanian_welcome(storage, clock)
    channel = SesEmailChannel(ses_client)

    # WHEN the sweep runs twice
    first = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    second = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN SES got it once, in Lithuanian, and the outbox records SES's message id
    assert (first.sent, second.sent) == (1, 0)
    (sent,) = sent_messages()
    assert sent.subject == "Gavome jūsų paraišką dalyvauti programoje „Mentorystė 2026“"
    assert "Sveiki, Eglė Čiurlionytė!" in sent.body
    assert "2026 m. rugsėjo 1 d." in sent.body
    stored = storage.messages.get(TENANT, queued.message_id)
    assert stored is not None
    assert stored.state is MessageState.SENT
    assert stored.provider_message_id == sent.id


def test_a_message_ses_keeps_refusing_is_given_up_and_no_longer_due(storage: Storage) -> None:
    # GIVEN a queued welcome and a sender SES does not accept
    clock = FixedClock(NOW)
    queued = queue_lithuanian_welcome(storage, clock)

    # WHEN the sweep runs with one attempt allowed
    report = send_pending(
        storage=storage, channel=SesEmailChannel(ses_client), clock=clock, sender=SENDER, max_attempts=1
    )

    # THEN the message is failed for good, with the SES code only, and no sweep finds it due again
    assert (report.failed, report.gave_up) == (1, 1)
    stored = storage.messages.get(TENANT, queued.message_id)
    assert stored is not None
    assert stored.state is MessageState.FAILED
    assert stored.last_error == "SES error MessageRejected; gave up after 1 attempt"
    assert stored.not_before == NEVER_DUE
    assert storage.messages.by_state(MessageState.FAILED, due_before=NOW + timedelta(days=3650)) == []
    assert [m.message_id for m in storage.messages.by_state(MessageState.FAILED)] == [queued.message_id]
