"""One-click review of a proposal from the coordinator's digest: approve or reject without logging in.

Two ``LinkAction``s (``approve-pair``, ``reject-pair``), registered in
``chalicelib.registry.LINK_ACTIONS``. Opening a link shows the proposal and a button in
the coordinator's language and changes nothing (mail scanners open links); pressing
the button approves or rejects through the same service a coordinator's API call uses.
A link acts only within the tenant and programme it was issued for: a pair looked up
there that belongs elsewhere is not found, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.domain.links import LinkClaims
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.programme import Coordinator, Programme
from chalicelib.errors import IllegalTransition
from chalicelib.services.digest import APPROVE_ACTION, REJECT_ACTION, LinkMaker
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page, issue_link, link_url
from chalicelib.services.matching import approve, get_pair, reject
from chalicelib.services.matching.wording import language_for, pair_sentence

# Long enough to act on one digest over a weekend; a newer digest brings fresh links.
REVIEW_LINK_TTL = timedelta(days=3)
DECISION = "decision"

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "approve": "Approve the pair {mentee} and {mentor}?",
        "reject": "Reject the pair {mentee} and {mentor}?",
        "approve_button": "Approve",
        "reject_button": "Reject",
        "approved": "Approved: {mentee} and {mentor} are told what happens next.",
        "rejected": "Rejected: {mentee} and {mentor} will not be proposed to each other again.",
        "not_proposed": "This proposal has already been decided.",
    },
    "sl": {
        "approve": "Potrdite par {mentee} in {mentor}?",
        "reject": "Zavrnete par {mentee} in {mentor}?",
        "approve_button": "Potrdi",
        "reject_button": "Zavrni",
        "approved": "Potrjeno: {mentee} in {mentor} prejmeta obvestilo o naslednjih korakih.",
        "rejected": "Zavrnjeno: {mentee} in {mentor} ne bosta več predlagana drug drugemu.",
        "not_proposed": "O tem predlogu je že odločeno.",
    },
    "da": {
        "approve": "Godkend parret {mentee} og {mentor}?",
        "reject": "Afvis parret {mentee} og {mentor}?",
        "approve_button": "Godkend",
        "reject_button": "Afvis",
        "approved": "Godkendt: {mentee} og {mentor} får besked om, hvad der sker nu.",
        "rejected": "Afvist: {mentee} og {mentor} bliver ikke foreslået for hinanden igen.",
        "not_proposed": "Der er allerede taget stilling til dette forslag.",
    },
    "sr": {
        "approve": "Odobriti par {mentee} i {mentor}?",
        "reject": "Odbiti par {mentee} i {mentor}?",
        "approve_button": "Odobri",
        "reject_button": "Odbij",
        "approved": "Odobreno: {mentee} i {mentor} dobijaju obaveštenje o sledećim koracima.",
        "rejected": "Odbijeno: {mentee} i {mentor} neće više biti predloženi jedno drugom.",
        "not_proposed": "O ovom predlogu je već odlučeno.",
    },
    "lt": {
        "approve": "Patvirtinti porą {mentee} ir {mentor}?",
        "reject": "Atmesti porą {mentee} ir {mentor}?",
        "approve_button": "Patvirtinti",
        "reject_button": "Atmesti",
        "approved": "Patvirtinta: {mentee} ir {mentor} gaus žinią apie tolesnius žingsnius.",
        "rejected": "Atmesta: {mentee} ir {mentor} nebebus siūlomi vienas kitam.",
        "not_proposed": "Dėl šio pasiūlymo jau nuspręsta.",
    },
}


def pair_names(ctx: LinkContext, pair: Pair) -> tuple[str, str]:
    """The mentee's and the mentor's names, for a page; an id stands in for someone no longer stored."""
    people = []
    for participant_id in (pair.mentee_id, pair.mentor_id):
        person = ctx.storage.participants.get(pair.tenant_id, pair.programme_id, participant_id)
        people.append(person.profile.name if person is not None else participant_id)
    return people[0], people[1]


def _review_action(name: str, verb: str, decide: Callable[[LinkClaims, LinkContext], Pair]) -> LinkAction:
    def page(claims: LinkClaims, ctx: LinkContext) -> Page:
        language = language_for(claims.language)
        words = _TEXTS[language]
        pair = get_pair(ctx.storage, claims.tenant_id, claims.programme_id, claims.subject_id)
        mentee, mentor = pair_names(ctx, pair)
        if pair.status is not PairStatus.PROPOSED:
            return Page(language=language, title=words["not_proposed"])
        return Page(
            language=language,
            title=words[verb].format(mentee=mentee, mentor=mentor),
            paragraphs=(pair_sentence(pair.reasons, mentee, mentor, language),),
            choices=(Choice(DECISION, verb, words[f"{verb}_button"]),),
        )

    def perform(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
        language = language_for(claims.language)
        words = _TEXTS[language]
        if form.get(DECISION) != verb:
            raise IllegalTransition("the form did not ask for this decision")
        pair = decide(claims, ctx)
        mentee, mentor = pair_names(ctx, pair)
        return Page(language=language, title=words[f"{verb}d"].format(mentee=mentee, mentor=mentor))

    return LinkAction(name=name, page=page, perform=perform, ttl=REVIEW_LINK_TTL)


def _approve(claims: LinkClaims, ctx: LinkContext) -> Pair:
    return approve(ctx.storage, ctx.notifier, ctx.clock, claims.tenant_id, claims.programme_id, claims.subject_id)


def _reject(claims: LinkClaims, ctx: LinkContext) -> Pair:
    reason = "rejected by a coordinator from the daily digest"
    return reject(ctx.storage, ctx.clock, claims.tenant_id, claims.programme_id, claims.subject_id, reason=reason)


APPROVE_PAIR = _review_action(APPROVE_ACTION, "approve", _approve)
REJECT_PAIR = _review_action(REJECT_ACTION, "reject", _reject)


def review_links(keys: Sequence[bytes], clock: Clock, base_url: str) -> LinkMaker:
    """The digest's link maker: signed, single-use review links for one coordinator, in their language."""

    def make(programme: Programme, coordinator: Coordinator, action: str, pair_id: str) -> str:
        token = issue_link(
            keys=keys,
            clock=clock,
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            action=action,
            subject_id=pair_id,
            language=coordinator.language,
            ttl=REVIEW_LINK_TTL,
        )
        return link_url(base_url, token)

    return make


__all__ = ["APPROVE_PAIR", "DECISION", "REJECT_PAIR", "REVIEW_LINK_TTL", "pair_names", "review_links"]
