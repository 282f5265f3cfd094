"""A small world for the meetings specifications: one programme, running pairs, in-memory storage, a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.domain.meetings import Meeting, MeetingEvent, MeetingEventStatus
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.programme import Programme
from chalicelib.notify.outbox import Notifier
from chalicelib.services import meetings as meeting_service
from chalicelib.services import programmes as programme_service
from chalicelib.storage.repositories import Storage
from tests.support.pairs import stored_pair

TENANT = "ten_kcb"
APPROVED_AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@dataclass
class Scene:
    storage: Storage
    clock: FixedClock
    notifier: Notifier
    programme: Programme

    @property
    def programme_id(self) -> str:
        return self.programme.programme_id

    def pair(self, mentor_email: str, mentee_email: str, *, status: PairStatus = PairStatus.ACTIVE) -> Pair:
        return stored_pair(
            self.storage, TENANT, self.programme_id, mentor_email, mentee_email, approved_at=APPROVED_AT, status=status
        )

    def tell(self, event: MeetingEvent) -> meeting_service.MeetingOutcome:
        return meeting_service.apply_meeting_event(
            storage=self.storage,
            notifier=self.notifier,
            clock=self.clock,
            tenant_id=TENANT,
            programme_id=self.programme_id,
            event=event,
        )

    def meetings(self, pair: Pair) -> list[Meeting]:
        return self.storage.meetings.for_pair(TENANT, self.programme_id, pair.pair_id)

    def stored(self, pair: Pair) -> Pair:
        found = self.storage.pairs.get(TENANT, self.programme_id, pair.pair_id)
        assert found is not None
        return found


def build_scene(storage: Storage, clock: FixedClock, **programme: Any) -> Scene:
    created = programme_service.create_programme(
        storage,
        tenant_id=TENANT,
        fields={"name": "Mentorski program 2026", "meeting_cadence_days": 30, **programme},
        clock=clock,
    )
    return Scene(storage=storage, clock=clock, notifier=Notifier(storage.messages, clock), programme=created)


def booking(
    external_id: str,
    *people: str,
    start: datetime,
    minutes: int = 60,
    status: MeetingEventStatus = MeetingEventStatus.BOOKED,
    source: str = "calcom",
    **fields: Any,
) -> MeetingEvent:
    organiser, *attendees = people
    return MeetingEvent(
        source=source,
        external_id=external_id,
        status=status,
        start=start,
        end=start + timedelta(minutes=minutes),
        organiser_email=organiser,
        attendee_emails=attendees,
        **fields,
    )
