"""The coordinator's daily digest: what happened in their programme and what waits for them.

Each open programme that names coordinators gets one digest a day per coordinator, in
the coordinator's language, when there is something to tell: new signups, signups kept
for attention, proposals waiting for review (each with one-click approve and reject
links when links can be issued), pairs the mentor declined or let expire, and pairs
ended early, and feedback (new survey answers, low ratings, "not a good fit", comments,
goal progress). Signups kept for attention that the tenant's retention will delete within
``EXPIRY_WARNING`` are counted apart, so the coordinator can act before they go.
Queued once per programme, coordinator and day, so a re-run of the job
sends nothing twice. Names appear in the e-mail, which goes to the people who run the
programme; logs carry counts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.clock import Clock
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import Participant, Role
from chalicelib.domain.programme import Coordinator, Programme
from chalicelib.domain.webhook import DeliveryState
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier
from chalicelib.notify.templates import render
from chalicelib.services.feedback import FeedbackNews, feedback_digest_context, feedback_news
from chalicelib.services.matching.people import all_participants
from chalicelib.storage.repositories import Storage

DIGEST_PERIOD = timedelta(days=1)
APPROVE_ACTION = "approve-pair"
REJECT_ACTION = "reject-pair"
_ATTENTION_SCAN = 1000
EXPIRY_WARNING = timedelta(days=7)

# (programme, coordinator, action, pair id) → the URL of a signed one-click link.
LinkMaker = Callable[[Programme, Coordinator, str, str], str]


@dataclass
class Digest:
    """One programme's day, as the coordinator reads it."""

    signups: list[Participant] = field(default_factory=list)
    needs_attention: int = 0
    expiring_soon: int = 0
    proposals: list[Pair] = field(default_factory=list)
    declined: list[Pair] = field(default_factory=list)
    ended_early: list[Pair] = field(default_factory=list)
    feedback: FeedbackNews = field(default_factory=FeedbackNews)

    @property
    def empty(self) -> bool:
        told = self.signups or self.needs_attention or self.proposals or self.declined or self.ended_early
        return not (told or not self.feedback.empty)


def gather(storage: Storage, programme: Programme, since: datetime) -> tuple[Digest, dict[str, Participant]]:
    """The programme's digest since ``since``, and its people by id (to name them)."""
    people = {p.participant_id: p for p in all_participants(storage, programme.tenant_id, programme.programme_id)}
    pairs = storage.pairs.list(programme.tenant_id, programme.programme_id)
    attention = [
        d
        for d in storage.deliveries.by_state(DeliveryState.NEEDS_ATTENTION, limit=_ATTENTION_SCAN)
        if d.tenant_id == programme.tenant_id and d.programme_id == programme.programme_id
    ]
    warn_before = since + DIGEST_PERIOD + EXPIRY_WARNING
    digest = Digest(
        signups=sorted(
            (p for p in people.values() if p.created_at >= since), key=lambda p: (p.created_at, p.profile.name)
        ),
        needs_attention=len(attention),
        expiring_soon=sum(1 for d in attention if d.expires_at is not None and d.expires_at <= warn_before),
        proposals=[p for p in pairs if p.status is PairStatus.PROPOSED],
        declined=[p for p in pairs if p.status in (PairStatus.DECLINED, PairStatus.EXPIRED) and p.updated_at >= since],
        ended_early=[p for p in pairs if p.status is PairStatus.ENDED_EARLY and p.updated_at >= since],
        feedback=feedback_news(storage, programme, since),
    )
    return digest, people


def send_digests(
    storage: Storage, notifier: Notifier, clock: Clock, *, links: LinkMaker | None = None
) -> dict[str, int]:
    """Queue today's digest for every coordinator of every open programme with something to tell."""
    now = clock.now()
    counts = {"programmes": 0, "quiet": 0, "queued": 0}
    for programme in storage.programmes.coordinated():
        counts["programmes"] += 1
        digest, people = gather(storage, programme, now - DIGEST_PERIOD)
        if digest.empty:
            counts["quiet"] += 1
            continue
        for coordinator in programme.coordinators:
            queued = notifier.queue_to_address(
                tenant_id=programme.tenant_id,
                email=coordinator.email,
                language=coordinator.language,
                template="coordinator_digest",
                context=_context(programme, coordinator, digest, people, links),
                idempotency_key=f"digest:{programme.programme_id}:{now.date().isoformat()}:{coordinator.email}",
                programme=programme,
            )
            counts["queued"] += int(queued is not None)
    log_event("coordinator digests queued", **counts)
    return counts


def _context(
    programme: Programme,
    coordinator: Coordinator,
    digest: Digest,
    people: dict[str, Participant],
    links: LinkMaker | None,
) -> dict[str, object]:
    def name(participant_id: str) -> str:
        person = people.get(participant_id)
        return person.profile.name if person is not None else participant_id

    def pair_line(pair: Pair) -> str:
        return f"- {name(pair.mentee_id)} – {name(pair.mentor_id)}"

    proposals = []
    for pair in digest.proposals:
        item = render(
            "coordinator_digest_proposal",
            coordinator.language,
            {
                "mentee_name": name(pair.mentee_id),
                "mentor_name": name(pair.mentor_id),
                "approve_url": links(programme, coordinator, APPROVE_ACTION, pair.pair_id) if links else None,
                "reject_url": links(programme, coordinator, REJECT_ACTION, pair.pair_id) if links else None,
            },
            fallback=[programme.default_language],
        )
        proposals.append(f"- {item.subject}\n{item.body_text.rstrip()}")
    return {
        "name": coordinator.name,
        "mentor_signups": _names(p for p in digest.signups if p.role is Role.MENTOR),
        "mentee_signups": _names(p for p in digest.signups if p.role is Role.MENTEE),
        "needs_attention": digest.needs_attention or None,
        "expiring_soon": digest.expiring_soon or None,
        "expiry_warning_days": EXPIRY_WARNING.days,
        "proposals": "\n".join(proposals) or None,
        "declined": "\n".join(pair_line(p) for p in digest.declined) or None,
        "ended_early": "\n".join(pair_line(p) for p in digest.ended_early) or None,
        **feedback_digest_context(digest.feedback, name),
    }


def _names(people: Iterable[Participant]) -> str | None:
    return "\n".join(f"- {p.profile.name}" for p in people) or None


__all__ = ["APPROVE_ACTION", "REJECT_ACTION", "Digest", "LinkMaker", "gather", "send_digests"]
