"""Which queued messages are still true when their turn comes.

Some texts describe the recipient's situation ("matching is planned for …", "you are
on the waiting list"). A message queued before the situation changed (the person was
matched meanwhile, or a send was retried for hours) must not go out: it is dropped.
Messages about events (a match, an ended pair) stay true and always go.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.participant import Participant, ParticipantStatus

_P = ParticipantStatus

STILL_TRUE_WHILE: Mapping[str, frozenset[ParticipantStatus]] = {
    "welcome": frozenset({_P.APPLIED, _P.ACCEPTED, _P.WAITLISTED}),
    "waitlisted": frozenset({_P.WAITLISTED}),
}


def still_true(template: str, recipient: Participant | None) -> bool:
    """Whether a message of ``template`` may still be sent to ``recipient`` (None: no participant record)."""
    statuses = STILL_TRUE_WHILE.get(template)
    if statuses is None or recipient is None:
        return True
    return recipient.status in statuses


__all__ = ["STILL_TRUE_WHILE", "still_true"]
