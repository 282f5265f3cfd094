"""The "did you meet?" link: its page in the reader's language, and recording the answer.

The e-mail (``services.meetings.ask_to_confirm``) carries a single-use link naming the
meeting within its pair. Opening it only shows the question; pressing a button records
"we met" or "we did not meet" for the pair, which outranks what the calendar says.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.links import LinkClaims
from chalicelib.domain.meetings import read_confirmation_subject
from chalicelib.errors import NotFound
from chalicelib.notify.templates import format_local_datetime
from chalicelib.services import meetings
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page

TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Did your meeting take place?",
        "when": "Your meeting of {when}.",
        "met": "We met",
        "missed": "We did not meet",
        "thanks_met": "Thank you: the meeting is recorded as held.",
        "thanks_missed": "Thank you: the meeting is recorded as not held. Book the next one when it suits you both.",
        "gone": "This meeting is no longer in the programme.",
    },
    "sr": {
        "title": "Da li je sastanak održan?",
        "when": "Vaš sastanak: {when}.",
        "met": "Sastali smo se",
        "missed": "Nismo se sastali",
        "thanks_met": "Hvala: sastanak je zabeležen kao održan.",
        "thanks_missed": "Hvala: sastanak je zabeležen kao neodržan. Zakažite sledeći kada vam oboma odgovara.",
        "gone": "Ovaj sastanak više nije u programu.",
    },
    "lt": {
        "title": "Ar susitikimas įvyko?",
        "when": "Jūsų susitikimas: {when}.",
        "met": "Susitikome",
        "missed": "Nesusitikome",
        "thanks_met": "Ačiū: susitikimas pažymėtas kaip įvykęs.",
        "thanks_missed": "Ačiū: susitikimas pažymėtas kaip neįvykęs. Susitarkite dėl kito, kai abiem patogu.",
        "gone": "Šio susitikimo programoje nebėra.",
    },
    "sl": {
        "title": "Ali je bilo srečanje izvedeno?",
        "when": "Vaše srečanje: {when}.",
        "met": "Srečala sva se",
        "missed": "Nisva se srečala",
        "thanks_met": "Hvala: srečanje je zabeleženo kot izvedeno.",
        "thanks_missed": (
            "Hvala: srečanje je zabeleženo kot neizvedeno. Dogovorita se za naslednje, ko bo obema ustrezalo."
        ),
        "gone": "Tega srečanja ni več v programu.",
    },
    "da": {
        "title": "Blev jeres møde holdt?",
        "when": "Jeres møde: {when}.",
        "met": "Vi mødtes",
        "missed": "Vi mødtes ikke",
        "thanks_met": "Tak: mødet er registreret som holdt.",
        "thanks_missed": "Tak: mødet er registreret som ikke holdt. Aftal det næste, når det passer jer begge.",
        "gone": "Dette møde er ikke længere i programmet.",
    },
}
ANSWERS = {"yes": True, "no": False}


def _language(claims: LinkClaims) -> str:
    return claims.language if claims.language is not None and claims.language in TEXTS else "en"


def _meeting_time(claims: LinkClaims, ctx: LinkContext, language: str) -> str | None:
    """When the meeting was, in the reader's time zone; None when it is gone (or the link names nothing)."""
    subject = read_confirmation_subject(claims.subject_id)
    if subject is None:
        return None
    pair_id, meeting_id = subject
    meeting = ctx.storage.meetings.get(claims.tenant_id, claims.programme_id, pair_id, meeting_id)
    if meeting is None:
        return None
    person = (
        ctx.storage.participants.get(claims.tenant_id, claims.programme_id, claims.participant_id)
        if claims.participant_id
        else None
    )
    programme = ctx.storage.programmes.get(claims.tenant_id, claims.programme_id)
    zone = (person.profile.timezone if person else None) or (programme.timezone if programme else "UTC")
    return format_local_datetime(meeting.starts_at, language, zone)


def confirm_page(claims: LinkClaims, ctx: LinkContext) -> Page:
    language = _language(claims)
    texts = TEXTS[language]
    when = _meeting_time(claims, ctx, language)
    if when is None:
        return Page(language=language, title=texts["gone"])
    return Page(
        language=language,
        title=texts["title"],
        paragraphs=(texts["when"].format(when=when),),
        choices=(Choice("met", "yes", texts["met"]), Choice("met", "no", texts["missed"])),
    )


def confirm_answer(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
    language = _language(claims)
    texts = TEXTS[language]
    subject = read_confirmation_subject(claims.subject_id)
    met = ANSWERS.get(form.get("met", ""))
    if subject is None or met is None:
        raise NotFound("the answer names no meeting")
    pair_id, meeting_id = subject
    meetings.confirm_meeting(
        storage=ctx.storage,
        clock=ctx.clock,
        tenant_id=claims.tenant_id,
        programme_id=claims.programme_id,
        pair_id=pair_id,
        meeting_id=meeting_id,
        met=met,
    )
    return Page(language=language, title=texts["thanks_met" if met else "thanks_missed"])


CONFIRM = LinkAction(name=meetings.CONFIRM_ACTION, page=confirm_page, perform=confirm_answer)
