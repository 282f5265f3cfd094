"""Specification of what the sweep sends when: oldest first, stale texts dropped, From the tenant, paced per tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from chalicelib.clock import FixedClock
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.programme import Coordinator
from chalicelib.domain.tenant import Tenant
from chalicelib.notify.channels import RecordingChannel
from chalicelib.notify.outbox import Notifier
from chalicelib.notify.pacing import SendPacer
from chalicelib.services.notifications import retry_delay, send_pending
from chalicelib.storage.repositories import Storage

from .conftest import NOW, TENANT, make_participant, make_programme

SENDER = "mentorflow@example.org"


def test_a_retried_confirmation_goes_out_before_a_newer_match_announcement(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN Ana's confirmation failed once, and an hour later her match announcement is queued
    programme = make_programme()
    ana = make_participant()
    notifier.queue(
        tenant_id=TENANT, recipient=ana, programme=programme, template="welcome", context={}, idempotency_key="w"
    )
    channel.fail_next()
    send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    clock.advance(retry_delay(1) + timedelta(minutes=1))
    notifier.queue(
        tenant_id=TENANT,
        recipient=ana,
        programme=programme,
        template="match_approved_mentee",
        context={"other_name": "Jelena", "other_email": "jelena@example.rs", "shared_goals": None},
        idempotency_key="m",
    )

    # WHEN the next sweep runs
    send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the confirmation goes first
    assert [m.template for m in channel.sent] == ["welcome", "match_approved_mentee"]


def test_a_confirmation_that_says_matching_is_planned_is_dropped_once_the_person_is_matched(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN Ana's confirmation is still queued when she is matched
    programme = storage.programmes.save(make_programme())
    ana = make_participant()
    ana.move_to(ParticipantStatus.ACCEPTED, at=NOW)
    ana.move_to(ParticipantStatus.MATCHED, at=NOW)
    storage.participants.save(ana)
    queued = notifier.queue(
        tenant_id=TENANT, recipient=ana, programme=programme, template="welcome", context={}, idempotency_key="w"
    )
    assert queued is not None

    # WHEN the sweep runs
    report = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN nothing is sent and the message is kept as dropped
    assert channel.sent == []
    assert report.dropped == 1
    stored = storage.messages.get(TENANT, queued.message_id)
    assert stored is not None
    assert stored.state == "dropped"


def test_messages_go_from_the_tenants_sender_with_the_coordinator_as_reply_to_and_named_in_the_text(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN a tenant with a verified sender and a Slovenian programme with a named coordinator
    storage.tenants.add(
        Tenant(tenant_id=TENANT, name="Skupnost", sender_email="mentorstvo@skupnost.example.org", created_at=NOW)
    )
    programme = make_programme(
        coordinators=[Coordinator(name="Mojca Kranjc", email="mojca@skupnost.example.org", language="sl")]
    )
    marko = make_participant(name="Marko Novak", email="marko@example.si", language="sl")
    notifier.queue(
        tenant_id=TENANT,
        recipient=marko,
        programme=programme,
        template="match_request_mentor",
        context={"mentee_name": "Ana", "accept_by": NOW + timedelta(days=7), "shared_goals": None},
        idempotency_key="r",
    )

    # WHEN the sweep runs
    send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN it goes from the tenant's address, replies reach Mojca, and the text names her
    (sent,) = channel.sent
    assert channel.senders == ["mentorstvo@skupnost.example.org"]
    assert sent.reply_to == "mojca@skupnost.example.org"
    assert "Mojca Kranjc (mojca@skupnost.example.org)" in sent.body_text


def test_the_pacer_keeps_each_tenant_to_its_rate_and_everyone_to_the_providers_rate() -> None:
    # GIVEN a tenant allowed 2 messages a second, another unlimited, and SES allowing 10 a second
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    pacer = SendPacer(
        overall_rate=10,
        tenant_rate=lambda tenant_id: 2 if tenant_id == "ten_slow" else None,
        sleep=sleep,
        monotonic=lambda: clock[0],
    )

    # WHEN three messages of each tenant take their turns, interleaved
    for _ in range(3):
        assert pacer.turn("ten_slow")
        assert pacer.turn("ten_fast")

    # THEN the slow tenant's messages are half a second apart and no two sends are closer than 0.1 s
    assert clock[0] == pytest.approx(1.1)
    assert min(waits) == pytest.approx(0.1)


def test_the_pacer_leaves_for_the_next_sweep_what_would_wait_beyond_its_budget() -> None:
    # GIVEN a tenant allowed one message a second and a budget of 1.5 seconds
    clock = [0.0]
    pacer = SendPacer(
        tenant_rate=lambda tenant_id: 1,
        budget=1.5,
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
        monotonic=lambda: clock[0],
    )

    # WHEN three messages take their turns
    turns = [pacer.turn("ten_a") for _ in range(3)]

    # THEN two go and the third waits for the next sweep
    assert turns == [True, True, False]


def test_a_sweep_stops_at_its_budget_and_the_rest_stays_queued(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN three queued messages of a tenant allowed one a second, and a sweep budget of one second
    storage.tenants.add(Tenant(tenant_id=TENANT, name="Acme", send_rate_per_second=1, created_at=NOW))
    programme = make_programme()
    for number in range(3):
        person = make_participant(email=f"p{number}@example.org")
        notifier.queue(
            tenant_id=TENANT, recipient=person, programme=programme, template="welcome", context={},
            idempotency_key=f"w{number}",
        )
    seconds = [0.0]
    pacer = SendPacer(
        tenant_rate=lambda tenant_id: 1.0,
        budget=1.0,
        sleep=lambda s: seconds.__setitem__(0, seconds[0] + s),
        monotonic=lambda: seconds[0],
    )

    # WHEN the sweep runs
    report = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER, pacer=pacer)

    # THEN two go out and one waits
    assert report.sent == 2
    assert len(storage.messages.by_state("pending", due_before=NOW)) == 1  # type: ignore[arg-type]


def test_a_programme_cannot_choose_a_language_without_texts() -> None:
    # GIVEN "si", a common slip for Slovenian ("sl")
    # WHEN a programme is made with it
    # THEN it is refused, naming the languages that have texts
    with pytest.raises(ValidationError, match="sl"):
        make_programme(languages=["si"], default_language="si")
