"""Specification of the sender sweep: every due message goes out once, failures are retried, then given up."""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime, timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.message import Message, MessageState
from chalicelib.notify.channels import RecordingChannel
from chalicelib.notify.outbox import Notifier
from chalicelib.services.notifications import CLAIM_LEASE, NEVER_DUE, retry_delay, send_pending
from chalicelib.storage.messages import InMemoryMessages
from chalicelib.storage.repositories import Storage, in_memory_storage

from .conftest import NOW, TENANT, make_participant, make_programme

SENDER = "mentorflow@example.org"


def queue_welcomes(notifier: Notifier, count: int) -> list[Message]:
    programme = make_programme()
    queued = []
    for number in range(count):
        person = make_participant(name=f"Person {number}", email=f"person{number}@example.org")
        message = notifier.queue(
            tenant_id=TENANT,
            recipient=person,
            programme=programme,
            template="welcome",
            context={},
            idempotency_key=f"welcome:{person.participant_id}",
        )
        assert message is not None
        queued.append(message)
    return queued


def stored(storage: Storage, message: Message) -> Message:
    found = storage.messages.get(TENANT, message.message_id)
    assert found is not None
    return found


class ListingTogether(InMemoryMessages):
    """In-memory messages whose pending listing waits until every sweep has listed: a forced race."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=5)

    def by_state(self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100) -> list[Message]:
        listed = super().by_state(state, due_before=due_before, limit=limit)
        if state is MessageState.PENDING:
            self.barrier.wait()
        return listed


class ProcessDies(BaseException):
    """Stands for the sweep's process ending in the middle of a send (timeout, crash)."""


class DyingChannel:
    def send(self, message: Message, *, sender: str) -> str:
        raise ProcessDies


class LeakyChannel:
    """A channel with a bug whose error text carries the recipient."""

    def send(self, message: Message, *, sender: str) -> str:
        raise RuntimeError(f"could not send to {message.recipient}: {message.subject}")


def test_due_messages_are_sent_and_marked_sent(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN two queued welcomes
    queued = queue_welcomes(notifier, 2)

    # WHEN the sweep runs
    report = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN both went out from the sender and are marked sent with the provider's id
    assert report.sent == 2
    assert report.failed == report.skipped == 0
    assert sorted(m.message_id for m in channel.sent) == sorted(m.message_id for m in queued)
    assert channel.senders == [SENDER, SENDER]
    for message in queued:
        after = stored(storage, message)
        assert after.state is MessageState.SENT
        assert after.sent_at == NOW
        assert after.provider_message_id is not None
        assert after.provider_message_id.startswith("recorded-")
        assert after.attempts == 1
        assert after.last_error is None


def test_a_message_queued_for_later_waits_until_its_time(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN a message not to be sent before tomorrow
    message = notifier.queue(
        tenant_id=TENANT,
        recipient=make_participant(),
        programme=make_programme(),
        template="welcome",
        context={},
        idempotency_key="welcome:later",
        not_before=NOW + timedelta(days=1),
    )
    assert message is not None

    # WHEN the sweep runs today, then tomorrow
    today = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    clock.advance(timedelta(days=1))
    tomorrow = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN it is sent only tomorrow, keeping its schedule on record
    assert today.sent == 0
    assert tomorrow.sent == 1
    after = stored(storage, message)
    assert after.state is MessageState.SENT
    assert after.not_before == NOW + timedelta(days=1)


def test_a_key_queued_twice_is_sent_once_even_when_the_sweep_runs_twice(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN a welcome queued twice by a retried job
    person = make_participant()
    for _ in range(2):
        notifier.queue(
            tenant_id=TENANT,
            recipient=person,
            programme=make_programme(),
            template="welcome",
            context={},
            idempotency_key="welcome:ana",
        )

    # WHEN the sweep runs twice in a row
    first = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    second = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the person got it once
    assert (first.sent, second.sent) == (1, 0)
    assert len(channel.sent) == 1


def test_two_sweeps_running_at_once_send_each_message_once(
    storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN ten queued messages, and two sweeps that both list all of them before either claims one
    racing = dataclasses.replace(storage, messages=ListingTogether(parties=2))
    queued = queue_welcomes(Notifier(racing.messages, clock), 10)
    reports = []

    def sweep() -> None:
        reports.append(send_pending(storage=racing, channel=channel, clock=clock, sender=SENDER))

    # WHEN both run at the same time
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # THEN every message went out exactly once; for each, one sweep sent and the other skipped
    sent_ids = [m.message_id for m in channel.sent]
    assert sorted(sent_ids) == sorted(m.message_id for m in queued)
    assert len(reports) == 2
    assert sum(r.sent for r in reports) == 10
    assert sum(r.skipped for r in reports) == 10
    assert all(stored(racing, m).state is MessageState.SENT for m in queued)


def test_a_message_claimed_by_a_sweep_that_died_is_sent_once_after_the_lease(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN a sweep that claimed a message and died while sending it
    (message,) = queue_welcomes(notifier, 1)
    with pytest.raises(ProcessDies):
        send_pending(storage=storage, channel=DyingChannel(), clock=clock, sender=SENDER)

    # WHEN another sweep runs at once, and again after the claim's lease
    at_once = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    clock.advance(CLAIM_LEASE)
    after_lease = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the claimed message is left alone at first, then sent once
    assert at_once.sent == 0
    assert after_lease.sent == 1
    after = stored(storage, message)
    assert after.state is MessageState.SENT
    assert after.attempts == 2


def test_a_failed_send_is_retried_after_a_back_off_and_then_succeeds(
    notifier: Notifier, storage: Storage, clock: FixedClock
) -> None:
    # GIVEN a queued message and a channel that fails once
    (message,) = queue_welcomes(notifier, 1)
    channel = RecordingChannel(fail_times=1)

    # WHEN the sweep runs, runs again at once, and runs after the back-off
    failing = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    failed = stored(storage, message)
    too_early = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    clock.advance(retry_delay(1))
    retried = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the failure is recorded with when to retry, the early run leaves it, the retry sends it
    assert (failing.failed, failing.sent) == (1, 0)
    assert failed.state is MessageState.FAILED
    assert failed.attempts == 1
    assert failed.last_error == "injected failure"
    assert failed.not_before == NOW + timedelta(minutes=5)
    assert too_early.sent == too_early.failed == 0
    assert retried.sent == 1
    after = stored(storage, message)
    assert after.state is MessageState.SENT
    assert after.attempts == 2
    assert after.sent_at == NOW + timedelta(minutes=5)
    assert len(channel.sent) == 1


def test_back_off_doubles_up_to_six_hours() -> None:
    # GIVEN failed attempts one after another
    # WHEN the delays are computed
    delays = [retry_delay(attempts) for attempts in (1, 2, 3, 4, 10)]

    # THEN they double from five minutes and stop at six hours
    assert delays == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
        timedelta(hours=6),
    ]


def test_after_max_attempts_a_message_is_given_up_and_never_listed_as_due_again(
    notifier: Notifier, storage: Storage, clock: FixedClock
) -> None:
    # GIVEN a message whose every send fails
    (message,) = queue_welcomes(notifier, 1)
    channel = RecordingChannel(fail_when=lambda m: True)

    # WHEN the sweep runs at each retry time, three attempts allowed
    reports = []
    for attempt in range(1, 4):
        reports.append(send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER, max_attempts=3))
        clock.advance(retry_delay(attempt))
    clock.advance(timedelta(days=365))
    later = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER, max_attempts=3)

    # THEN after the third failure it stays failed, is not retried, and no longer shows as due
    assert [r.failed for r in reports] == [1, 1, 1]
    assert [r.gave_up for r in reports] == [0, 0, 1]
    assert later.failed == later.sent == 0
    assert channel.attempts == 3
    after = stored(storage, message)
    assert after.state is MessageState.FAILED
    assert after.attempts == 3
    assert after.not_before == NEVER_DUE
    assert after.last_error == "injected failure; gave up after 3 attempts"
    assert storage.messages.by_state(MessageState.FAILED, due_before=clock.now()) == []
    assert [m.message_id for m in storage.messages.by_state(MessageState.FAILED)] == [message.message_id]


def test_a_claimed_message_whose_attempts_are_used_up_is_given_up_without_sending(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN a sweep that died sending the last allowed attempt
    (message,) = queue_welcomes(notifier, 1)
    with pytest.raises(ProcessDies):
        send_pending(storage=storage, channel=DyingChannel(), clock=clock, sender=SENDER, max_attempts=1)

    # WHEN the next sweep runs after the lease
    clock.advance(CLAIM_LEASE)
    report = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER, max_attempts=1)

    # THEN it is retired instead of risking a second copy
    assert (report.sent, report.skipped, report.gave_up) == (0, 1, 1)
    assert channel.sent == []
    after = stored(storage, message)
    assert after.state is MessageState.FAILED
    assert after.not_before == NEVER_DUE
    assert after.last_error == "gave up after 1 attempt"


def test_an_error_records_no_personal_data(notifier: Notifier, storage: Storage, clock: FixedClock) -> None:
    # GIVEN a channel whose error text names the recipient and subject
    (message,) = queue_welcomes(notifier, 1)

    # WHEN the sweep runs
    report = send_pending(storage=storage, channel=LeakyChannel(), clock=clock, sender=SENDER)

    # THEN the stored error names only the kind of failure
    assert report.failed == 1
    after = stored(storage, message)
    assert after.state is MessageState.FAILED
    assert after.last_error == "unexpected RuntimeError"


def test_one_sweep_sends_everything_due_in_batches_of_the_limit(
    notifier: Notifier, storage: Storage, clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN five queued messages
    queue_welcomes(notifier, 5)

    # WHEN a sweep reading two at a time runs, then another
    first = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER, limit=2)
    rest = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the first sends all five, once each, and leaves nothing for the second
    assert (first.sent, rest.sent) == (5, 0)
    assert len({m.message_id for m in channel.sent}) == 5


@pytest.mark.parametrize(
    ("name", "email", "language", "greeting"),
    [
        ("Đorđe Đorđević", "djordje@example.rs", "sr", "Dobar dan, Đorđe Đorđević!"),
        ("Eglė Čiurlionytė", "egle@example.lt", "lt", "Sveiki, Eglė Čiurlionytė!"),
        ("Søren Ærø", "soren@example.dk", "da", "Kære Søren Ærø"),
        ("Žiga Šušteršič", "ziga@example.si", "sl", "Pozdravljeni, Žiga Šušteršič!"),
    ],
)
def test_names_in_any_script_survive_rendering_and_sending_unchanged(
    notifier: Notifier,
    storage: Storage,
    clock: FixedClock,
    channel: RecordingChannel,
    name: str,
    email: str,
    language: str,
    greeting: str,
) -> None:
    # GIVEN a participant whose name has diacritics, queued a welcome
    person = make_participant(name=name, email=email, language=language)
    notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=make_programme(),
        template="welcome",
        context={},
        idempotency_key=f"welcome:{email}",
    )

    # WHEN it is sent
    send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN the channel received the name exactly as written
    (sent,) = channel.sent
    assert sent.recipient == email
    assert sent.language == language
    assert sent.body_text.startswith(f"{greeting}\n")


def test_queueing_and_sending_log_no_address_name_subject_or_body(
    notifier: Notifier,
    storage: Storage,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN full logging, and two people whose messages go out and fail
    caplog.set_level(logging.DEBUG)
    programme = make_programme()
    people = [
        make_participant(name="Dragana Đorđević", email="dragana@example.rs", language="sr"),
        make_participant(name="Søren Ærø", email="soren@example.dk", language="da"),
    ]
    for person in people:
        notifier.queue(
            tenant_id=TENANT,
            recipient=person,
            programme=programme,
            template="welcome",
            context={},
            idempotency_key=f"welcome:{person.participant_id}",
        )

    # WHEN one sweep fails with a leaky channel, and the retry succeeds
    send_pending(storage=storage, channel=LeakyChannel(), clock=clock, sender=SENDER)
    clock.advance(retry_delay(1))
    send_pending(storage=storage, channel=RecordingChannel(), clock=clock, sender=SENDER)

    # THEN the logs carry ids and counts, but nothing personal
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "outbox sweep finished" in logged
    for sensitive in ("dragana@example.rs", "soren@example.dk", "Đorđević", "Ærø", "Primili smo", "Kære"):
        assert sensitive not in logged


class Throttled(Exception):
    """Stands for DynamoDB refusing a write for a moment (ProvisionedThroughputExceeded, a timeout)."""


class MarkingThrottled(InMemoryMessages):
    """In-memory messages whose first ``times`` writes of a sent mark fail."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times

    def save(self, message: Message) -> Message:
        if message.state is MessageState.SENT and self.times > 0:
            self.times -= 1
            raise Throttled
        return super().save(message)


def test_a_throttled_sent_mark_neither_stops_the_sweep_nor_sends_the_message_again(
    clock: FixedClock, channel: RecordingChannel
) -> None:
    # GIVEN three queued welcomes, and a store that refuses the first two sent marks
    storage = in_memory_storage()
    storage.messages = MarkingThrottled(times=2)
    queued = queue_welcomes(Notifier(storage.messages, clock), 3)

    # WHEN the sweep runs, and again after the claim lease has long passed
    report = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)
    clock.advance(CLAIM_LEASE * 4)
    again = send_pending(storage=storage, channel=channel, clock=clock, sender=SENDER)

    # THEN each went out once and is marked sent, and the second sweep had nothing to send
    assert (report.sent, again.sent) == (3, 0)
    assert sorted(m.message_id for m in channel.sent) == sorted(m.message_id for m in queued)
    assert {stored(storage, m).state for m in queued} == {MessageState.SENT}
