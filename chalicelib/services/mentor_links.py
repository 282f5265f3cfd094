"""One-click answer to a match request: the mentor accepts or declines from the e-mail, without logging in.

Two ``LinkAction``s (``accept-pair``, ``decline-pair``), registered in
``chalicelib.registry.LINK_ACTIONS`` and put into the match request by
``chalicelib.services.matching.answer_links``. Opening a link shows the request and a
button in the mentor's language and changes nothing (mail scanners open links); pressing
the button acts through the same acceptance service as the admin API, so a decline frees
the place and offers it at once. A link acts only for the pair, mentor, tenant and
programme it was signed for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalicelib.domain.links import LinkClaims
from chalicelib.domain.pair import Pair
from chalicelib.errors import IllegalTransition, LinkForged
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page
from chalicelib.services.matching import accept, decline, get_pair
from chalicelib.services.matching.answer_links import ACCEPT_ACTION, DECLINE_ACTION
from chalicelib.services.matching.wording import language_for
from chalicelib.services.review_links import DECISION, pair_names

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "accept": "Will you mentor {mentee}?",
        "decline": "Decline mentoring {mentee}?",
        "accept_button": "Yes, I accept",
        "decline_button": "No, I decline",
        "accept_done": "Thank you! You and {mentee} will each receive the other's contact details by e-mail.",
        "decline_done": "Thank you for letting us know. We will look for another mentor for {mentee}.",
        "not_waiting": "This request has already been answered or has closed.",
    },
    "sl": {
        "accept": "Ali boste mentorirali osebo {mentee}?",
        "decline": "Zavrnete mentorstvo osebi {mentee}?",
        "accept_button": "Da, sprejemam",
        "decline_button": "Ne, zavračam",
        "accept_done": "Hvala! Vi in {mentee} boste po e-pošti prejeli kontaktne podatke drug drugega.",
        "decline_done": "Hvala, da ste nam sporočili. Za osebo {mentee} bomo poiskali drugega mentorja.",
        "not_waiting": "Na to vabilo je že odgovorjeno ali pa je zaprto.",
    },
    "da": {
        "accept": "Vil du være mentor for {mentee}?",
        "decline": "Vil du takke nej til at være mentor for {mentee}?",
        "accept_button": "Ja, jeg accepterer",
        "decline_button": "Nej, jeg takker nej",
        "accept_done": "Tak! Du og {mentee} får hinandens kontaktoplysninger på e-mail.",
        "decline_done": "Tak, fordi du gav besked. Vi finder en anden mentor til {mentee}.",
        "not_waiting": "Denne forespørgsel er allerede besvaret eller lukket.",
    },
    "sr": {
        "accept": "Da li ćete biti mentor osobi {mentee}?",
        "decline": "Odbijate mentorstvo osobi {mentee}?",
        "accept_button": "Da, prihvatam",
        "decline_button": "Ne, odbijam",
        "accept_done": "Hvala! Vi i {mentee} ćete e-poštom dobiti kontakt podatke jedno drugog.",
        "decline_done": "Hvala što ste nam javili. Za osobu {mentee} potražićemo drugog mentora.",
        "not_waiting": "Na ovaj poziv je već odgovoreno ili je zatvoren.",
    },
    "lt": {
        "accept": "Ar būsite asmens {mentee} mentorius?",
        "decline": "Atsisakyti būti asmens {mentee} mentoriumi?",
        "accept_button": "Taip, sutinku",
        "decline_button": "Ne, atsisakau",
        "accept_done": "Ačiū! Jūs ir {mentee} el. paštu gausite vienas kito kontaktus.",
        "decline_done": "Ačiū, kad pranešėte. Asmeniui {mentee} ieškosime kito mentoriaus.",
        "not_waiting": "Į šį kvietimą jau atsakyta arba jis nebegalioja.",
    },
}


def _mentors_pair(claims: LinkClaims, ctx: LinkContext) -> Pair:
    """The pair the link names, which must still be this mentor's: a link never acts for someone else."""
    pair = get_pair(ctx.storage, claims.tenant_id, claims.programme_id, claims.subject_id)
    if claims.participant_id is None or pair.mentor_id != claims.participant_id:
        raise LinkForged("this link is not valid")
    return pair


def _answer_action(name: str, verb: str, answer: Callable[[LinkClaims, LinkContext], Pair]) -> LinkAction:
    def page(claims: LinkClaims, ctx: LinkContext) -> Page:
        language = language_for(claims.language)
        words = _TEXTS[language]
        pair = _mentors_pair(claims, ctx)
        if not pair.awaiting_mentor:
            return Page(language=language, title=words["not_waiting"])
        mentee, _ = pair_names(ctx, pair)
        return Page(
            language=language,
            title=words[verb].format(mentee=mentee),
            choices=(Choice(DECISION, verb, words[f"{verb}_button"]),),
        )

    def perform(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
        language = language_for(claims.language)
        if form.get(DECISION) != verb:
            raise IllegalTransition("the form did not ask for this answer")
        pair = answer(claims, ctx)
        mentee, _ = pair_names(ctx, pair)
        return Page(language=language, title=_TEXTS[language][f"{verb}_done"].format(mentee=mentee))

    return LinkAction(name=name, page=page, perform=perform)


def _accept(claims: LinkClaims, ctx: LinkContext) -> Pair:
    pair = _mentors_pair(claims, ctx)
    return accept(ctx.storage, ctx.notifier, ctx.clock, pair.tenant_id, pair.programme_id, pair.pair_id)


def _decline(claims: LinkClaims, ctx: LinkContext) -> Pair:
    pair = _mentors_pair(claims, ctx)
    reason = "declined by the mentor from the match request"
    outcome = decline(
        ctx.storage, ctx.notifier, ctx.clock, pair.tenant_id, pair.programme_id, pair.pair_id, reason=reason
    )
    return outcome.pair


ACCEPT_PAIR = _answer_action(ACCEPT_ACTION, "accept", _accept)
DECLINE_PAIR = _answer_action(DECLINE_ACTION, "decline", _decline)

__all__ = ["ACCEPT_PAIR", "DECLINE_PAIR"]
