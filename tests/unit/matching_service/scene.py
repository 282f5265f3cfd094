"""A small world for the matching service's specifications: in-memory storage, a fixed clock, the real outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.domain.matching_run import RunTrigger
from chalicelib.domain.message import Message
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Pair
from chalicelib.domain.participant import Participant, Profile, Role
from chalicelib.domain.programme import Programme
from chalicelib.notify.outbox import Notifier
from chalicelib.services import matching
from chalicelib.services import participants as participant_service
from chalicelib.services import programmes as programme_service
from chalicelib.storage.repositories import Storage

TENANT = "ten_kcb"
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
MATCHING_DAY = date(2026, 9, 1)


@dataclass
class Scene:
    """One programme and the people in it, with shortcuts to the service and to what it stored."""

    storage: Storage
    clock: FixedClock
    notifier: Notifier
    programme: Programme

    @property
    def programme_id(self) -> str:
        return self.programme.programme_id

    def enrol(self, role: Role, name: str, email: str, **profile: Any) -> Participant:
        values: dict[str, Any] = {"role": role, "email": email, "name": name, "languages": ["en"]}
        values.update(profile)
        return participant_service.enrol(
            self.storage,
            tenant_id=TENANT,
            programme_id=self.programme_id,
            profile=Profile(**values),
            clock=self.clock,
            notifier=self.notifier,
        )

    def mentor(self, name: str, email: str, **profile: Any) -> Participant:
        return self.enrol(Role.MENTOR, name, email, **{"seniority": 6, **profile})

    def mentee(self, name: str, email: str, **profile: Any) -> Participant:
        return self.enrol(Role.MENTEE, name, email, **{"seniority": 3, **profile})

    def set_policy(self, **policy: Any) -> None:
        current = self.programme.matching.model_dump()
        self.programme = programme_service.update_programme(
            self.storage,
            tenant_id=TENANT,
            programme_id=self.programme_id,
            changes={"matching": current | policy},
            expected_version=None,
            clock=self.clock,
        )

    def run(self, *, dry_run: bool = False, trigger: RunTrigger = "api") -> matching.RunReport:
        return matching.run_matching(
            self.storage, self.notifier, self.clock, TENANT, self.programme_id, dry_run=dry_run, trigger=trigger
        )

    def approve(self, pair_id: str) -> Pair:
        return matching.approve(self.storage, self.notifier, self.clock, TENANT, self.programme_id, pair_id)

    def person(self, participant: Participant) -> Participant:
        found = self.storage.participants.get(TENANT, self.programme_id, participant.participant_id)
        assert found is not None
        return found

    def pair(self, pair_id: str) -> Pair:
        return matching.get_pair(self.storage, TENANT, self.programme_id, pair_id)

    def pairs(self) -> list[Pair]:
        return self.storage.pairs.list(TENANT, self.programme_id)

    def open_pairs(self) -> list[Pair]:
        return [p for p in self.pairs() if p.status in OPEN_PAIR_STATUSES]

    def open_pair_of(self, participant: Participant) -> Pair:
        (found,) = [p for p in self.open_pairs() if participant.participant_id in (p.mentee_id, p.mentor_id)]
        return found

    # Every enrolment queues a welcome (specified in tests/unit/enrolment); these are the matching's messages.
    def messages(self, template: str | None = None) -> list[Message]:
        every = self.storage.messages.all  # type: ignore[attr-defined]
        return [m for m in every if m.template != "welcome" and (template is None or m.template == template)]

    def messages_to(self, participant: Participant) -> list[Message]:
        every = self.storage.messages.for_participant(TENANT, participant.participant_id)
        return [m for m in every if m.template != "welcome"]
