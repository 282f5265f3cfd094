"""Contract of MessageRepository: the outbox's idempotent queueing, the sender sweep and a participant's messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.message import MessageState, message_id_for
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at, message
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

PENDING = MessageState.PENDING


def test_a_queued_message_reads_back_with_every_field(storage: Storage) -> None:
    # GIVEN a message with text in several scripts and local times
    new = message(
        "ten_a",
        "welcome:par_1",
        programme_id="prg_1",
        participant_id="par_1",
        recipient="jurate@example.org",
        language="lt",
        subject="Sveiki, Jūratė Čiurlionytė",
        body_text="Labas! Jūsų mentorius: Søren Ærø.\nIki pasimatymo – Đorđević",
        state=MessageState.FAILED,
        attempts=2,
        last_error="Throttling",
        not_before=at(30).astimezone(VILNIUS),
        created_at=at(0).astimezone(BELGRADE),
    )

    # WHEN it is queued and read back
    queued = storage.messages.add(new)
    stored = storage.messages.get("ten_a", new.message_id)

    # THEN it was queued now, at version 1, exactly as given
    assert queued is True
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []


def test_queueing_the_same_message_twice_stores_it_once(storage: Storage) -> None:
    # GIVEN a queued message
    assert storage.messages.add(message("ten_a", "nudge:pair_1:2025-03-03", subject="First")) is True

    # WHEN the same reason queues it again
    again = storage.messages.add(message("ten_a", "nudge:pair_1:2025-03-03", subject="Second"))

    # THEN the repeat is reported and the first stays
    assert again is False
    stored = storage.messages.get("ten_a", message_id_for("ten_a", "nudge:pair_1:2025-03-03"))
    assert stored is not None
    assert (stored.subject, stored.version) == ("First", 1)


def test_stale_save_of_a_message_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a pending message two senders picked up
    new = message("ten_a", "welcome:par_1")
    storage.messages.add(new)
    first = storage.messages.get("ten_a", new.message_id)
    second = storage.messages.get("ten_a", new.message_id)
    assert first is not None
    assert second is not None

    # WHEN the first sends it and the second, late, records a failure
    first.state = MessageState.SENT
    first.sent_at = at(1)
    first.provider_message_id = "ses-123"
    sent = storage.messages.save(first)
    second.state = MessageState.FAILED
    with pytest.raises(VersionConflict):
        storage.messages.save(second)

    # THEN it stays sent
    stored = storage.messages.get("ten_a", new.message_id)
    assert stored is not None
    assert differences(sent, stored) == []


def test_pending_messages_of_every_tenant_come_oldest_due_first(storage: Storage) -> None:
    # GIVEN pending messages of two tenants, some held back until later, and a failed one
    late = message("ten_a", "k:late", created_at=at(1), not_before=at(40))
    held = message("ten_b", "k:held", created_at=at(2), not_before=at(10).astimezone(VILNIUS))
    early = message("ten_a", "k:early", created_at=at(5))
    failed = message("ten_a", "k:failed", created_at=at(0), state=MessageState.FAILED)
    for queued in (late, held, early, failed):
        storage.messages.add(queued)

    # WHEN the sender asks for pending messages due by minute 10
    due = storage.messages.by_state(PENDING, due_before=at(10))

    # THEN the due ones come by their due time (not_before, else creation), tenant regardless
    assert [m.message_id for m in due] == [early.message_id, held.message_id]
    assert [m.message_id for m in storage.messages.by_state(PENDING, limit=1)] == [early.message_id]
    assert [m.message_id for m in storage.messages.by_state(MessageState.FAILED)] == [failed.message_id]


def test_a_sent_message_leaves_the_state_list(storage: Storage) -> None:
    # GIVEN a pending message
    new = message("ten_a", "welcome:par_1")
    storage.messages.add(new)
    [pending] = storage.messages.by_state(PENDING)

    # WHEN it is sent
    pending.state = MessageState.SENT
    pending.sent_at = at(1)
    storage.messages.save(pending)

    # THEN no state listing returns it, but it is still stored
    assert storage.messages.by_state(PENDING) == []
    assert storage.messages.by_state(MessageState.SENT) == []
    stored = storage.messages.get("ten_a", new.message_id)
    assert stored is not None
    assert stored.state is MessageState.SENT


def test_messages_of_a_participant_are_listed_by_creation_within_their_tenant(storage: Storage) -> None:
    # GIVEN messages to one participant id in two tenants, and a message to nobody in particular
    second = message("ten_a", "k:2", participant_id="par_1", created_at=at(5))
    first = message("ten_a", "k:1", participant_id="par_1", created_at=at(1).astimezone(BELGRADE))
    storage.messages.add(second)
    storage.messages.add(first)
    storage.messages.add(message("ten_b", "k:1", participant_id="par_1"))
    storage.messages.add(message("ten_a", "k:coordinator"))

    # WHEN tenant A lists the participant's messages
    listed = storage.messages.for_participant("ten_a", "par_1")

    # THEN only A's messages to them come, oldest first
    assert [m.message_id for m in listed] == [first.message_id, second.message_id]
    assert storage.messages.get("ten_b", second.message_id) is None


def test_a_deleted_message_is_gone_from_every_read(storage: Storage) -> None:
    # GIVEN a pending message to a participant
    new = message("ten_a", "welcome:par_1", participant_id="par_1")
    storage.messages.add(new)
    stored = storage.messages.get("ten_a", new.message_id)
    assert stored is not None

    # WHEN it is erased
    storage.messages.delete(stored)

    # THEN no read finds it
    assert storage.messages.get("ten_a", new.message_id) is None
    assert storage.messages.by_state(PENDING) == []
    assert storage.messages.for_participant("ten_a", "par_1") == []
