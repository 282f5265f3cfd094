"""The ``event-rsvp`` one-click link: "will you come?" with a yes and a no button, in the person's language.

``GET`` shows the event (title, local start time, place) and two buttons; the ``POST``
of a button records the answer. A link answers only for the person and event it names.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.events import Rsvp
from chalicelib.domain.links import LinkClaims
from chalicelib.errors import NotFound
from chalicelib.notify.ics import reader_zone
from chalicelib.notify.templates import format_local_datetime
from chalicelib.services.events import RSVP_ACTION, get_event, rsvp
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page

TEXTS: dict[str, dict[str, str]] = {
    "en": {"question": "Will you come?", "when": "When", "where": "Where", "yes": "Yes, I will come",
           "no": "No, I cannot come", "thanks_yes": "Thank you, see you there.",
           "thanks_no": "Thank you for letting us know."},
    "sr": {"question": "Da li dolazite?", "when": "Kada", "where": "Gde", "yes": "Da, dolazim",
           "no": "Ne, ne mogu da dođem", "thanks_yes": "Hvala, vidimo se.",
           "thanks_no": "Hvala što ste nam javili."},
    "lt": {"question": "Ar atvyksite?", "when": "Kada", "where": "Kur", "yes": "Taip, atvyksiu",
           "no": "Ne, negaliu atvykti", "thanks_yes": "Ačiū, iki pasimatymo.",
           "thanks_no": "Ačiū, kad pranešėte."},
    "sl": {"question": "Ali pridete?", "when": "Kdaj", "where": "Kje", "yes": "Da, pridem",
           "no": "Ne, ne morem priti", "thanks_yes": "Hvala, se vidimo.",
           "thanks_no": "Hvala, ker ste nam sporočili."},
    "da": {"question": "Kommer du?", "when": "Hvornår", "where": "Hvor", "yes": "Ja, jeg kommer",
           "no": "Nej, jeg kan ikke komme", "thanks_yes": "Tak, vi ses.",
           "thanks_no": "Tak, fordi du gav besked."},
}  # fmt: skip


def _language(claims: LinkClaims) -> str:
    return claims.language if claims.language in TEXTS else "en"


def show(claims: LinkClaims, ctx: LinkContext) -> Page:
    language = _language(claims)
    text = TEXTS[language]
    event = get_event(ctx.storage, claims.tenant_id, claims.programme_id, claims.subject_id)
    if (
        claims.participant_id is None
        or ctx.storage.events.get_invitation(
            claims.tenant_id, claims.programme_id, event.event_id, claims.participant_id
        )
        is None
    ):
        raise NotFound("not invited to this event")
    person = ctx.storage.participants.get(claims.tenant_id, claims.programme_id, claims.participant_id)
    programme = ctx.storage.programmes.get(claims.tenant_id, claims.programme_id)
    zone = reader_zone(person.profile.timezone if person else None, programme.timezone if programme else None)
    when = format_local_datetime(event.starts_at, language, zone.key)
    paragraphs = [f"{text['when']}: {when}"]
    if event.place:
        paragraphs.append(f"{text['where']}: {event.place}")
    return Page(
        language=language,
        title=f"{event.title}: {text['question']}",
        paragraphs=tuple(paragraphs),
        choices=(Choice("rsvp", Rsvp.YES.value, text["yes"]), Choice("rsvp", Rsvp.NO.value, text["no"])),
    )


def answer(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
    language = _language(claims)
    text = TEXTS[language]
    reply = Rsvp(form["rsvp"]) if form.get("rsvp") in (Rsvp.YES.value, Rsvp.NO.value) else None
    if reply is None or claims.participant_id is None:
        raise NotFound("no answer given")
    rsvp(
        storage=ctx.storage,
        clock=ctx.clock,
        tenant_id=claims.tenant_id,
        programme_id=claims.programme_id,
        event_id=claims.subject_id,
        participant_id=claims.participant_id,
        reply=reply,
    )
    title = text["thanks_yes"] if reply is Rsvp.YES else text["thanks_no"]
    return Page(language=language, title=title)


EVENT_RSVP = LinkAction(name=RSVP_ACTION, page=show, perform=answer)
