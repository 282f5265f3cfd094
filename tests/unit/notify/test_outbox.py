"""Specification of the outbox: queueing in the right language, once per key, outside quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.message import Message, MessageState, message_id_for
from chalicelib.errors import ValidationFailed
from chalicelib.notify.outbox import Notifier, next_send_time, quiet_hours_of
from chalicelib.storage.repositories import Storage

from .conftest import NOW, TENANT, make_participant, make_programme


def test_a_welcome_is_queued_in_the_participants_language(notifier: Notifier, storage: Storage) -> None:
    # GIVEN a Lithuanian participant of a programme with a matching date
    programme = make_programme()
    person = make_participant(name="Eglė Čiurlionytė", email="egle@example.lt", language="lt")

    # WHEN the welcome is queued
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=programme,
        template="welcome",
        context={},
        idempotency_key=f"welcome:{person.participant_id}",
    )

    # THEN one pending message is stored, in Lithuanian, addressed to the participant
    assert queued is not None
    stored = storage.messages.get(TENANT, message_id_for(TENANT, f"welcome:{person.participant_id}"))
    assert stored == queued
    assert stored.state is MessageState.PENDING
    assert stored.recipient == "egle@example.lt"
    assert stored.language == "lt"
    assert stored.template == "welcome"
    assert stored.participant_id == person.participant_id
    assert stored.programme_id == programme.programme_id
    assert stored.subject == "Gavome jūsų paraišką dalyvauti programoje „Mentorstvo 2026“"
    assert "Sveiki, Eglė Čiurlionytė!" in stored.body_text
    assert "2026 m. rugsėjo 1 d." in stored.body_text
    assert stored.created_at == NOW
    assert stored.not_before is None
    assert stored.attempts == 0


def test_queueing_the_same_key_twice_stores_one_message(notifier: Notifier, storage: Storage) -> None:
    # GIVEN a welcome already queued
    person = make_participant()
    programme = make_programme()

    def queue_welcome() -> Message | None:
        return notifier.queue(
            tenant_id=TENANT,
            recipient=person,
            programme=programme,
            template="welcome",
            context={},
            idempotency_key="welcome:ana",
        )

    first = queue_welcome()

    # WHEN a retried job queues it again
    second = queue_welcome()

    # THEN the retry stores nothing
    assert first is not None
    assert second is None
    assert [m.message_id for m in storage.messages.for_participant(TENANT, person.participant_id)] == [first.message_id]


def test_without_the_persons_language_the_programme_default_is_used(notifier: Notifier) -> None:
    # GIVEN a German-speaking participant of a programme whose default is Slovenian
    programme = make_programme(languages=["sl", "en"], default_language="sl")
    person = make_participant(language="de")

    # WHEN a welcome is queued
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=programme,
        template="welcome",
        context={},
        idempotency_key="welcome:ana",
    )

    # THEN it is in Slovenian
    assert queued is not None
    assert queued.language == "sl"


def test_without_a_programme_or_a_known_language_english_is_used(notifier: Notifier) -> None:
    # GIVEN a participant with no language and no programme at hand
    person = make_participant(language=None)

    # WHEN a waitlist message is queued
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=None,
        template="waitlisted",
        context={"programme_name": "Mentorship"},
        idempotency_key="waitlisted:ana",
    )

    # THEN it is in English, and still belongs to the participant's programme
    assert queued is not None
    assert queued.language == "en"
    assert queued.programme_id == person.programme_id


def test_a_missing_variable_is_refused_at_queue_time_and_nothing_is_stored(
    notifier: Notifier, storage: Storage
) -> None:
    # GIVEN a waitlist message without a programme to name
    person = make_participant()

    # WHEN it is queued
    with pytest.raises(ValidationFailed, match="programme_name"):
        notifier.queue(
            tenant_id=TENANT,
            recipient=person,
            programme=None,
            template="waitlisted",
            context={},
            idempotency_key="waitlisted:ana",
        )

    # THEN nothing waits in the outbox
    assert storage.messages.by_state(MessageState.PENDING) == []


def test_a_participant_of_another_tenant_is_refused(notifier: Notifier, storage: Storage) -> None:
    # GIVEN a participant of another tenant
    stranger = make_participant(tenant_id="ten_other")

    # WHEN a message is queued for them under this tenant
    with pytest.raises(ValidationFailed, match="another tenant"):
        notifier.queue(
            tenant_id=TENANT,
            recipient=stranger,
            programme=None,
            template="waitlisted",
            context={"programme_name": "X"},
            idempotency_key="waitlisted:stranger",
        )

    # THEN nothing is stored
    assert storage.messages.by_state(MessageState.PENDING) == []


def test_a_coordinator_email_is_queued_to_an_address_without_a_participant(
    notifier: Notifier, storage: Storage
) -> None:
    # GIVEN a Danish programme and its coordinator's address
    programme = make_programme(languages=["da", "en"], default_language="da")

    # WHEN a message is queued to the address, with no language of its own
    queued = notifier.queue_to_address(
        tenant_id=TENANT,
        email="  Koordinator@Example.DK ",
        language=None,
        programme=programme,
        template="waitlisted",
        context={"name": "Mette"},
        idempotency_key="coordinator:test",
    )

    # THEN it goes to the normalised address in the programme's language, tied to no participant
    assert queued is not None
    stored = storage.messages.get(TENANT, queued.message_id)
    assert stored is not None
    assert stored.recipient == "koordinator@example.dk"
    assert stored.language == "da"
    assert stored.participant_id is None
    assert stored.programme_id == programme.programme_id


def test_queue_to_address_refuses_what_is_not_an_address(notifier: Notifier) -> None:
    # GIVEN a value that is not an e-mail address
    # WHEN a message is queued to it
    # THEN it is refused
    with pytest.raises(ValidationFailed, match="e-mail"):
        notifier.queue_to_address(
            tenant_id=TENANT,
            email="not an address",
            language="en",
            template="waitlisted",
            context={"name": "X", "programme_name": "Y"},
            idempotency_key="coordinator:bad",
        )


def test_a_later_not_before_is_kept(notifier: Notifier) -> None:
    # GIVEN a message that must not go out before tomorrow
    tomorrow = NOW + timedelta(days=1)

    # WHEN it is queued
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=make_participant(),
        programme=make_programme(),
        template="welcome",
        context={},
        idempotency_key="welcome:later",
        not_before=tomorrow,
    )

    # THEN it waits until then
    assert queued is not None
    assert queued.not_before == tomorrow


def test_quiet_hours_in_the_participants_time_zone_push_the_message_to_the_morning(
    storage: Storage,
) -> None:
    # GIVEN 21:30 in Vilnius (18:30 UTC), a participant there, and quiet hours from 20 to 8
    clock = FixedClock(datetime(2026, 7, 1, 18, 30, tzinfo=UTC))
    notifier = Notifier(storage.messages, clock)
    programme = make_programme(timezone="America/New_York")
    person = make_participant(language="lt", timezone="Europe/Vilnius")

    # WHEN a message is queued with the programme's quiet hours
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=programme,
        template="welcome",
        context={},
        idempotency_key="welcome:quiet",
        quiet_hours=quiet_hours_of(programme),
    )

    # THEN it waits until 08:00 the next morning in Vilnius (05:00 UTC)
    assert queued is not None
    assert queued.not_before == datetime(2026, 7, 2, 5, 0, tzinfo=UTC)


def test_quiet_hours_fall_back_to_the_programmes_time_zone(storage: Storage) -> None:
    # GIVEN 10:00 UTC, which is 06:00 in New York, and a participant without a time zone
    clock = FixedClock(datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    notifier = Notifier(storage.messages, clock)
    programme = make_programme(timezone="America/New_York")
    person = make_participant(timezone=None)

    # WHEN a message is queued with quiet hours from 20 to 8
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=person,
        programme=programme,
        template="welcome",
        context={},
        idempotency_key="welcome:ny",
        quiet_hours=(20, 8),
    )

    # THEN it waits until 08:00 in New York (12:00 UTC)
    assert queued is not None
    assert queued.not_before == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_outside_quiet_hours_the_message_is_due_at_once(notifier: Notifier) -> None:
    # GIVEN 10:00 UTC, which is 12:00 in Belgrade, the programme's time zone
    # WHEN a message is queued with quiet hours from 20 to 8
    queued = notifier.queue(
        tenant_id=TENANT,
        recipient=make_participant(),
        programme=make_programme(),
        template="welcome",
        context={},
        idempotency_key="welcome:now",
        quiet_hours=(20, 8),
    )

    # THEN it is due right away
    assert queued is not None
    assert queued.not_before is None


@pytest.mark.parametrize(
    ("now", "tz_name", "expected"),
    [
        # 13:00 in Vilnius: allowed
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "Europe/Vilnius", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        # the same instant is 06:00 in New York: wait for 08:00 EDT
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "America/New_York", datetime(2026, 7, 1, 12, 0, tzinfo=UTC)),
        # 23:30 in Vilnius before midnight: next morning 08:00 EEST
        (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), "Europe/Vilnius", datetime(2026, 7, 2, 5, 0, tzinfo=UTC)),
        # 01:00 in Vilnius after midnight: the same morning
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), "Europe/Vilnius", datetime(2026, 7, 2, 5, 0, tzinfo=UTC)),
        # in winter Vilnius is UTC+2: 08:00 EET is 06:00 UTC
        (datetime(2026, 1, 15, 3, 0, tzinfo=UTC), "Europe/Vilnius", datetime(2026, 1, 15, 6, 0, tzinfo=UTC)),
        # 20:00 sharp is quiet already; 08:00 sharp is allowed again
        (datetime(2026, 7, 2, 0, 0, tzinfo=UTC), "America/New_York", datetime(2026, 7, 2, 12, 0, tzinfo=UTC)),
        (datetime(2026, 7, 2, 12, 0, tzinfo=UTC), "America/New_York", datetime(2026, 7, 2, 12, 0, tzinfo=UTC)),
    ],
)
def test_next_send_time_is_the_next_moment_outside_local_quiet_hours(
    now: datetime, tz_name: str, expected: datetime
) -> None:
    # GIVEN quiet hours from 20:00 to 08:00 local time
    # WHEN the next send time is asked for
    result = next_send_time(now, tz_name, 20, 8)

    # THEN it is the next allowed local time
    assert result == expected


def test_quiet_hours_within_one_day_are_respected() -> None:
    # GIVEN a lunch-time quiet window 12–14 and 12:30 in Copenhagen (10:30 UTC in summer)
    now = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)

    # WHEN the next send time is asked for
    result = next_send_time(now, "Europe/Copenhagen", 12, 14)

    # THEN it is 14:00 local the same day
    assert result == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_a_quiet_end_inside_a_daylight_saving_gap_moves_to_the_first_valid_moment() -> None:
    # GIVEN 01:30 EST on the night New York skips from 02:00 to 03:00, quiet hours ending at 02:00
    now = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)

    # WHEN the next send time is asked for
    result = next_send_time(now, "America/New_York", 22, 2)

    # THEN it is 03:00 EDT, the first moment after the gap
    assert result == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_equal_quiet_hours_mean_no_quiet_hours() -> None:
    # GIVEN quiet hours that start and end at the same hour
    now = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)

    # WHEN the next send time is asked for
    # THEN it is now
    assert next_send_time(now, "UTC", 8, 8) == now


def test_next_send_time_refuses_a_naive_time() -> None:
    # GIVEN a time without a time zone
    # WHEN the next send time is asked for
    # THEN it is refused
    with pytest.raises(ValueError, match="aware"):
        next_send_time(datetime(2026, 7, 1, 23, 0), "UTC", 20, 8)
