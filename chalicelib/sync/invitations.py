"""Consent by invitation: a synced person is asked first, through a signed one-click link, and enrolled on "Join".

Until they answer, the person is a participant in ``applied`` with no consent: nothing is
decided and matching does not see them. "Join" enrols them through the enrolment service
(placed, confirmed in their language) with their consent recorded; "No, thank you" erases
the record. The link is single use and expires after ``INVITATION_TTL``.

Nobody is enrolled by silence: ``sweep_invitations`` reminds an unanswered invitee once,
after 14 days, and after 30 closes the invitation and erases the invitee's record, so the
link finds nothing to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.common import StatusChange
from chalicelib.domain.participant import Consent, Participant, ParticipantStatus, Profile, participant_id_for
from chalicelib.domain.sync import INVITATION_OPEN_FOR, OpenInvitation, left_the_organisation
from chalicelib.errors import VersionConflict
from chalicelib.services import enrolment
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page, issue_link, link_url
from chalicelib.storage.keys import utc_text

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.links import LinkClaims
    from chalicelib.domain.programme import Programme
    from chalicelib.domain.sync import SyncConnector
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage

ACTION = "join-programme"
INVITATION_TTL = INVITATION_OPEN_FOR
INVITED = "invited by the HR sync"
_ANSWER = "answer"

# What the link page says, per language: title, question, join, decline, joined, declined, gone.
_TEXTS: Mapping[str, tuple[str, str, str, str, str, str, str]] = {
    "en": (
        "Join {programme}?",
        "Your organisation invites you to {programme}.",
        "Join",
        "No, thank you",
        "Welcome to {programme}. We have sent you a confirmation.",
        "Thank you for letting us know. Nothing about you is kept.",
        "This invitation is no longer open.",
    ),
    "sr": (
        "Pridružujete se programu „{programme}“?",
        "Vaša organizacija vas poziva u program „{programme}“.",
        "Pridružujem se",
        "Ne, hvala",
        "Dobro došli u program „{programme}“. Poslali smo vam potvrdu.",
        "Hvala što ste nam javili. O vama ništa ne čuvamo.",
        "Ovaj poziv više nije otvoren.",
    ),
    "lt": (
        "Prisijungsite prie programos „{programme}“?",
        "Jūsų organizacija kviečia jus į programą „{programme}“.",
        "Prisijungiu",
        "Ne, ačiū",
        "Sveiki prisijungę prie programos „{programme}“. Išsiuntėme jums patvirtinimą.",
        "Ačiū, kad pranešėte. Apie jus nieko nesaugome.",
        "Šis kvietimas nebegalioja.",
    ),
    "sl": (
        "Se pridružite programu »{programme}«?",
        "Vaša organizacija vas vabi v program »{programme}«.",
        "Pridružim se",
        "Ne, hvala",
        "Dobrodošli v programu »{programme}«. Poslali smo vam potrditev.",
        "Hvala, da ste nam sporočili. O vas ne hranimo ničesar.",
        "To vabilo ni več odprto.",
    ),
    "da": (
        "Vil du deltage i {programme}?",
        "Din organisation inviterer dig til {programme}.",
        "Deltag",
        "Nej tak",
        "Velkommen til {programme}. Vi har sendt dig en bekræftelse.",
        "Tak fordi du gav besked. Vi gemmer intet om dig.",
        "Denne invitation er ikke længere åben.",
    ),
}


def _texts(language: str | None) -> tuple[str, str, str, str, str, str, str]:
    return _TEXTS.get(language or "en", _TEXTS["en"])


@dataclass(frozen=True)
class Inviter:
    """Invites synced people: the keys links are signed with and the public URL they point to.

    Both are read only when someone is invited, so a deployment without link keys syncs
    every programme that consents by agreement, and stops (resumably) only at an invitation.
    """

    keys: Callable[[], Sequence[bytes]]
    base_url: Callable[[], str]

    def invite(
        self,
        *,
        storage: Storage,
        notifier: Notifier,
        clock: Clock,
        programme: Programme,
        profile: Profile,
        connector_id: str | None = None,
    ) -> Participant:
        """Record the invitee (``applied``, no consent) and queue their invitation, once per person and programme."""
        participant_id = participant_id_for(programme.tenant_id, programme.programme_id, profile.email)
        existing = storage.participants.get(programme.tenant_id, programme.programme_id, participant_id)
        if existing is not None and not left_the_organisation(existing):
            return existing
        keys, base_url = self.keys(), self.base_url()
        now = clock.now()
        asked = profile.model_copy(update={"consent": None})
        if existing is None:
            invitee = Participant(
                participant_id=participant_id,
                tenant_id=programme.tenant_id,
                programme_id=programme.programme_id,
                profile=asked,
                history=[StatusChange(status=ParticipantStatus.APPLIED.value, at=now, reason=INVITED)],
                # The person has answered nothing yet: their "Join" is the first submission.
                profile_submitted_at=None,
                created_at=now,
                updated_at=now,
            )
        else:
            # Back after leaving: asked again, as a new hire would be, their earlier consent no longer standing.
            invitee = existing.model_copy(deep=True, update={"profile": asked, "profile_submitted_at": None})
            invitee.move_to(ParticipantStatus.APPLIED, at=now, reason=INVITED)
        invitee = storage.participants.save(invitee)
        invitation = OpenInvitation.sent(
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            participant_id=participant_id,
            connector_id=connector_id,
            at=now,
        )
        earlier = existing and storage.sync_invitations.get(programme.tenant_id, programme.programme_id, participant_id)
        if earlier:
            # An invitation left over from before they left gives way to the new one.
            storage.sync_invitations.delete(earlier)
        storage.sync_invitations.add(invitation)
        self._send(notifier, clock, programme, invitee, invitation, "sync_invitation", keys, base_url)
        return invitee

    def remind(
        self,
        *,
        notifier: Notifier,
        clock: Clock,
        programme: Programme,
        invitee: Participant,
        invitation: OpenInvitation,
    ) -> None:
        """Queue the one reminder, with a fresh link that works until the invitation closes."""
        self._send(
            notifier, clock, programme, invitee, invitation, "sync_invitation_reminder", self.keys(), self.base_url()
        )

    @staticmethod
    def _send(
        notifier: Notifier,
        clock: Clock,
        programme: Programme,
        invitee: Participant,
        invitation: OpenInvitation,
        template: str,
        keys: Sequence[bytes],
        base_url: str,
    ) -> None:
        language = invitee.profile.language
        language = language if language in _TEXTS else programme.default_language
        token = issue_link(
            keys=keys,
            clock=clock,
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            action=ACTION,
            subject_id=invitee.participant_id,
            participant_id=invitee.participant_id,
            language=language if language in _TEXTS else None,
            ttl=invitation.closes_at - clock.now(),
        )
        notifier.queue(
            tenant_id=programme.tenant_id,
            recipient=invitee,
            programme=programme,
            template=template,
            context={"link": link_url(base_url, token), "expires_on": invitation.closes_at.date()},
            # One message per invitation: someone invited again after a rehire is written to again.
            idempotency_key=f"{template}:{invitee.participant_id}:{utc_text(invitation.invited_at)}",
        )


def sweep_invitations(*, storage: Storage, notifier: Notifier, clock: Clock, inviter: Inviter) -> dict[str, int]:
    """Remind invitees silent for 14 days, once; close invitations silent for 30, erasing the invitee's record.

    Reads only the index of open invitations whose time has come. Safe to run again: a
    reminded invitation waits for its closing, and a closed one is gone.
    """
    now = clock.now()
    counts = {"reminded": 0, "expired": 0, "answered": 0}
    # Each invitation handled leaves the due set (reminded: due at closing; otherwise deleted), so pages shrink.
    for _ in range(_MAX_PAGES):
        due = storage.sync_invitations.due(now, limit=_PAGE)
        if not due:
            break
        for invitation in due:
            counts[_settle(storage, notifier, clock, inviter, invitation)] += 1
    return counts


_PAGE = 100
_MAX_PAGES = 50


def _settle(storage: Storage, notifier: Notifier, clock: Clock, inviter: Inviter, invitation: OpenInvitation) -> str:
    i = invitation
    invitee = storage.participants.get(i.tenant_id, i.programme_id, i.participant_id)
    programme = storage.programmes.get(i.tenant_id, i.programme_id)
    if (
        invitee is None
        or programme is None
        or invitee.status is not ParticipantStatus.APPLIED
        or invitee.profile.consent
    ):
        storage.sync_invitations.delete(i)
        return "answered"
    if i.closed(clock.now()):
        # The record is erased before the invitation, so a sweep stopped in between never leaves an invitee behind.
        storage.participants.delete(invitee)
        storage.sync_invitations.delete(i)
        _count(storage, i, expired=1)
        return "expired"
    inviter.remind(notifier=notifier, clock=clock, programme=programme, invitee=invitee, invitation=i)
    try:
        storage.sync_invitations.save(i.model_copy(update={"remind_at": None}))
    except VersionConflict:
        # Answered meanwhile; the reminder's idempotency key keeps it to one message either way.
        return "answered"
    _count(storage, i, reminded=1)
    return "reminded"


def _count(storage: Storage, invitation: OpenInvitation, *, reminded: int = 0, expired: int = 0) -> None:
    if invitation.connector_id is None:
        return

    def load() -> SyncConnector | None:
        return storage.connectors.get(invitation.tenant_id, invitation.connector_id or "")

    def change(current: SyncConnector | None) -> SyncConnector | None:
        if current is None:
            return None
        current.invitations_reminded += reminded
        current.invitations_expired += expired
        return current

    update_with_retry(load, change, storage.connectors.save, message="the connector kept changing")


def _invitee(claims: LinkClaims, ctx: LinkContext) -> tuple[Programme | None, Participant | None]:
    programme = ctx.storage.programmes.get(claims.tenant_id, claims.programme_id)
    participant = ctx.storage.participants.get(claims.tenant_id, claims.programme_id, claims.subject_id)
    if participant is not None and participant.status is not ParticipantStatus.APPLIED:
        participant = None
    return programme, participant


def _page(claims: LinkClaims, ctx: LinkContext) -> Page:
    title, question, join, decline, _, _, gone = _texts(claims.language)
    programme, invitee = _invitee(claims, ctx)
    language = claims.language or "en"
    if programme is None or invitee is None:
        return Page(language=language, title=gone)
    name = programme.name
    return Page(
        language=language,
        title=title.format(programme=name),
        paragraphs=(question.format(programme=name),),
        choices=(Choice(_ANSWER, "join", join), Choice(_ANSWER, "decline", decline)),
    )


def _perform(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
    _, _, _, _, joined, declined, gone = _texts(claims.language)
    programme, invitee = _invitee(claims, ctx)
    language = claims.language or "en"
    if programme is None or invitee is None:
        return Page(language=language, title=gone)
    invitation = ctx.storage.sync_invitations.get(claims.tenant_id, claims.programme_id, claims.subject_id)
    if invitation is not None:
        ctx.storage.sync_invitations.delete(invitation)
    if form.get(_ANSWER) != "join":
        ctx.storage.participants.delete(invitee)
        return Page(language=language, title=declined)
    now = ctx.clock.now()
    consent = Consent(given=True, at=now, text_version="accepted the invitation")
    enrolment.enrol(
        storage=ctx.storage,
        notifier=ctx.notifier,
        clock=ctx.clock,
        programme=programme,
        profile=invitee.profile.model_copy(update={"consent": consent}),
        submitted_at=now,
        channel=enrolment.Channel.SIGNUP,
    )
    return Page(language=language, title=joined.format(programme=programme.name))


JOIN_PROGRAMME = LinkAction(name=ACTION, page=_page, perform=_perform, ttl=INVITATION_TTL)
