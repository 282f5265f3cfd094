"""Per-person data export and erasure (GDPR articles 15 and 17), within one tenant."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.common import normalise_email
from chalicelib.domain.participant import Participant
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.storage.repositories import Storage


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise ValidationFailed("not a valid e-mail address") from exc


def export_person(storage: Storage, *, tenant_id: str, email: str) -> dict[str, Any]:
    """Everything stored about one person: their enrolments and the messages sent to them."""
    enrolments = storage.participants.by_email(tenant_id, _email(email))
    if not enrolments:
        raise NotFound("no participant with that e-mail")
    return {
        "participants": [p.model_dump(mode="json") for p in enrolments],
        "messages": [
            m.model_dump(mode="json")
            for p in enrolments
            for m in storage.messages.for_participant(tenant_id, p.participant_id)
        ],
    }


def erase_calendars(storage: Storage, *, tenant_id: str, email: str, participants: list[Participant]) -> int:
    """Delete the calendar connections a person consented to, or that read their own address."""
    ids = {participant.participant_id for participant in participants}
    gone = 0
    for connection in storage.calendars.list(tenant_id):
        if connection.participant_id in ids or connection.calendar_id.strip().lower() == email:
            storage.calendars.delete(connection)
            gone += 1
    return gone


def erase_person(storage: Storage, *, tenant_id: str, email: str) -> dict[str, int]:
    """Delete one person's enrolments and messages. Pairs keep only the opaque ids, no personal data."""
    enrolments = storage.participants.by_email(tenant_id, _email(email))
    if not enrolments:
        raise NotFound("no participant with that e-mail")
    messages = 0
    for participant in enrolments:
        for message in storage.messages.for_participant(tenant_id, participant.participant_id):
            storage.messages.delete(message)
            messages += 1
        storage.participants.delete(participant)
    calendars = erase_calendars(storage, tenant_id=tenant_id, email=_email(email), participants=enrolments)
    return {"participants": len(enrolments), "messages": messages, "calendars": calendars}
