"""The one-click accept and decline links a mentor finds in the match request, when the deployment issues links.

The links are signed for one pair and its mentor, work once, and stop working at the
pair's answer deadline (``accept_by``), after which the expiry sweep has moved on. What
pressing them does is ``chalicelib.services.mentor_links``.
"""

from __future__ import annotations

from chalicelib.domain.pair import Pair
from chalicelib.domain.participant import Participant
from chalicelib.domain.programme import Programme
from chalicelib.notify.outbox import LinkRequest, Notifier
from chalicelib.services.link_issuer import link_language

ACCEPT_ACTION = "accept-pair"
DECLINE_ACTION = "decline-pair"


def mentor_answer_links(notifier: Notifier, programme: Programme, pair: Pair, mentor: Participant) -> dict[str, object]:
    """``accept_url`` and ``decline_url`` for the match request, or ``answer_by_reply`` when no links are issued."""
    if pair.accept_by is None:
        return {"answer_by_reply": True}
    urls = [
        notifier.link(
            LinkRequest(
                tenant_id=programme.tenant_id,
                programme_id=programme.programme_id,
                action=action,
                subject_id=pair.pair_id,
                participant_id=mentor.participant_id,
                language=link_language(mentor.profile.language, programme.default_language),
                expires_at=pair.accept_by,
            )
        )
        for action in (ACCEPT_ACTION, DECLINE_ACTION)
    ]
    if urls[0] is None or urls[1] is None:
        return {"answer_by_reply": True}
    return {"accept_url": urls[0], "decline_url": urls[1]}
