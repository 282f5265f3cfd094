"""Pairs: a mentor and a mentee matched within a programme, and the health of their meetings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from chalicelib.domain.common import DomainModel, StatusChange, check_transition, new_id, stable_id
from chalicelib.domain.meetings import HealthState, PairHealth
from chalicelib.domain.nudges import Contact


class PairStatus(StrEnum):
    PROPOSED = "proposed"
    REJECTED = "rejected"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    ACTIVE = "active"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"


_S = PairStatus
PAIR_TRANSITIONS: dict[PairStatus, frozenset[PairStatus]] = {
    _S.PROPOSED: frozenset({_S.APPROVED, _S.REJECTED, _S.EXPIRED}),
    # Approved: running, or waiting for the mentor where the programme asks mentors to accept (who
    # may then decline or let it expire). A running pair completes whether or not anyone reported a meeting.
    _S.APPROVED: frozenset({_S.ACTIVE, _S.COMPLETED, _S.DECLINED, _S.EXPIRED, _S.ENDED_EARLY}),
    _S.ACTIVE: frozenset({_S.COMPLETED, _S.ENDED_EARLY}),
    _S.REJECTED: frozenset(),
    _S.DECLINED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.ENDED_EARLY: frozenset(),
}

OPEN_PAIR_STATUSES = frozenset({_S.PROPOSED, _S.APPROVED, _S.ACTIVE})
# Someone said no to these (coordinator, mentor, silence) or the pair broke up: never propose them again.
REFUSED_PAIR_STATUSES = frozenset({_S.REJECTED, _S.DECLINED, _S.EXPIRED, _S.ENDED_EARLY})


def pair_id_for(tenant_id: str, programme_id: str, mentee_id: str, nth: int) -> str:
    """The id of a mentee's ``nth`` pair (0-based) in a programme.

    Two matching runs that read the same state give a mentee the same next pair id, so
    only one of their proposals can be stored: the second create finds the first.
    """
    return stable_id("pair", tenant_id, programme_id, mentee_id, str(nth))


class Pair(DomainModel):
    """A proposed or running mentor–mentee pairing with the reasons it was proposed."""

    pair_id: str = Field(default_factory=lambda: new_id("pair"))
    tenant_id: str
    programme_id: str
    mentor_id: str
    mentee_id: str
    status: PairStatus = PairStatus.PROPOSED
    history: list[StatusChange] = Field(default_factory=list)
    score: float | None = None
    explanation: str | None = None
    reasons: list[dict[str, Any]] = Field(default_factory=list)
    run_id: str | None = None
    end_reason: str | None = None
    accept_by: datetime | None = None
    last_met_at: datetime | None = None
    meetings_held: int = Field(default=0, ge=0)
    next_due_at: datetime | None = Field(
        default=None, description="When the reminder sweep should next look at this pair; None = never."
    )
    next_booked_at: datetime | None = None
    meetings_expected: int = Field(default=0, ge=0, description="Meetings the programme's cadence asks for so far.")
    health: HealthState | None = Field(default=None, description="None until the pair starts.")
    contacts: list[Contact] = Field(
        default_factory=list, max_length=2, description="Mentor and mentee as nudges address them (from approval)."
    )
    goals: list[str] = Field(
        default_factory=list, max_length=8, description="The mentee's goals at approval: later surveys ask about each."
    )
    created_at: datetime
    updated_at: datetime

    @property
    def awaiting_mentor(self) -> bool:
        """Approved, and the programme waits for the mentor to accept before the pair starts."""
        return self.status is PairStatus.APPROVED and self.accept_by is not None

    @property
    def started_at(self) -> datetime:
        """When the pair was approved (the meeting cadence runs from there)."""
        for change in self.history:
            if change.status in (PairStatus.APPROVED, PairStatus.ACTIVE):
                return change.at
        return self.created_at

    @property
    def running(self) -> bool:
        """Approved or active, and not waiting for the mentor: meetings are expected."""
        return self.status in (PairStatus.APPROVED, PairStatus.ACTIVE) and not self.awaiting_mentor

    def take_health(self, health: PairHealth, *, at: datetime) -> bool:
        """Store ``health`` on the pair; whether anything changed. The sweep looks again at ``check_at``."""
        update = {
            "health": health.state,
            "last_met_at": health.last_met_at,
            "next_booked_at": health.next_booked_at,
            "meetings_held": health.meetings_held,
            "meetings_expected": health.meetings_expected,
            "next_due_at": health.check_at,
        }
        if all(getattr(self, name) == value for name, value in update.items()):
            return False
        for name, value in update.items():
            setattr(self, name, value)
        self.updated_at = at
        return True

    def move_to(self, target: PairStatus, *, at: datetime, reason: str | None = None) -> None:
        check_transition(self.status, target, PAIR_TRANSITIONS, entity="pair")
        self.status = target
        self.history = [*self.history, StatusChange(status=target.value, at=at, reason=reason)]
        self.updated_at = at
        if target in (PairStatus.COMPLETED, PairStatus.ENDED_EARLY):
            self.end_reason = reason
        if target not in OPEN_PAIR_STATUSES:
            self.next_due_at = None
        elif target in (PairStatus.APPROVED, PairStatus.ACTIVE):
            # A pair that starts (or may start) is looked at at once, so its meeting health begins.
            self.next_due_at = at
