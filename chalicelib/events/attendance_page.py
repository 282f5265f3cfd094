"""The ``event-attendance`` one-click link: "did you attend?" with "I attended" and "I did not", after the event.

``GET`` shows the event and the two buttons once it has ended (before, it says when to
come back); the ``POST`` of a button records the person's word. A coordinator's record
of attendance stands: the page then says so and changes nothing. A link answers only
for the person and event it names.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.events import AttendanceSource, ProgrammeEvent
from chalicelib.domain.links import LinkClaims
from chalicelib.errors import NotFound
from chalicelib.notify.ics import reader_zone
from chalicelib.notify.templates import format_local_datetime
from chalicelib.services.events import ATTENDANCE_ACTION, ATTENDANCE_LINK_TTL, confirm_attendance, get_event
from chalicelib.services.links import Choice, LinkAction, LinkContext, Page

ATTENDED, MISSED = "attended", "missed"

TEXTS: dict[str, dict[str, str]] = {
    "en": {"question": "Did you attend?", "when": "When", "attended": "I attended", "missed": "I did not attend",
           "too_early": "You can confirm your attendance once the event has ended.",
           "recorded": "The coordinators have already recorded your attendance. Thank you.",
           "thanks_attended": "Thank you: your attendance is recorded.",
           "thanks_missed": "Thank you for letting us know."},
    "sr": {"question": "Da li ste prisustvovali?", "when": "Kada", "attended": "Prisustvovao/la sam",
           "missed": "Nisam prisustvovao/la",
           "too_early": "Prisustvo možete potvrditi kada se događaj završi.",
           "recorded": "Koordinatori su već zabeležili vaše prisustvo. Hvala vam.",
           "thanks_attended": "Hvala vam: vaše prisustvo je zabeleženo.",
           "thanks_missed": "Hvala što ste nam javili."},
    "lt": {"question": "Ar dalyvavote?", "when": "Kada", "attended": "Dalyvavau", "missed": "Nedalyvavau",
           "too_early": "Dalyvavimą galėsite patvirtinti, kai renginys baigsis.",
           "recorded": "Koordinatoriai jau pažymėjo jūsų dalyvavimą. Ačiū.",
           "thanks_attended": "Ačiū: jūsų dalyvavimas pažymėtas.",
           "thanks_missed": "Ačiū, kad pranešėte."},
    "sl": {"question": "Ali ste se udeležili?", "when": "Kdaj", "attended": "Udeležil/a sem se",
           "missed": "Nisem se udeležil/a",
           "too_early": "Udeležbo lahko potrdite, ko se dogodek konča.",
           "recorded": "Koordinatorji so vašo udeležbo že zabeležili. Hvala.",
           "thanks_attended": "Hvala: vaša udeležba je zabeležena.",
           "thanks_missed": "Hvala, ker ste nam sporočili."},
    "da": {"question": "Deltog du?", "when": "Hvornår", "attended": "Jeg deltog", "missed": "Jeg deltog ikke",
           "too_early": "Du kan bekræfte din deltagelse, når arrangementet er slut.",
           "recorded": "Koordinatorerne har allerede registreret din deltagelse. Tak.",
           "thanks_attended": "Tak: din deltagelse er registreret.",
           "thanks_missed": "Tak, fordi du gav besked."},
}  # fmt: skip


def _language(claims: LinkClaims) -> str:
    return claims.language if claims.language in TEXTS else "en"


def _invited_event(claims: LinkClaims, ctx: LinkContext) -> tuple[ProgrammeEvent, AttendanceSource | None]:
    event = get_event(ctx.storage, claims.tenant_id, claims.programme_id, claims.subject_id)
    invitation = (
        None
        if claims.participant_id is None
        else ctx.storage.events.get_invitation(
            claims.tenant_id, claims.programme_id, event.event_id, claims.participant_id
        )
    )
    if invitation is None:
        raise NotFound("not invited to this event")
    return event, invitation.attendance_by


def show(claims: LinkClaims, ctx: LinkContext) -> Page:
    language = _language(claims)
    text = TEXTS[language]
    event, recorded_by = _invited_event(claims, ctx)
    if recorded_by is AttendanceSource.COORDINATOR:
        return Page(language=language, title=text["recorded"])
    person = ctx.storage.participants.get(claims.tenant_id, claims.programme_id, claims.participant_id or "")
    programme = ctx.storage.programmes.get(claims.tenant_id, claims.programme_id)
    zone = reader_zone(person.profile.timezone if person else None, programme.timezone if programme else None)
    when = f"{text['when']}: {format_local_datetime(event.starts_at, language, zone.key)}"
    if ctx.clock.now() < event.ends_at:
        return Page(language=language, title=event.title, paragraphs=(when, text["too_early"]))
    return Page(
        language=language,
        title=f"{event.title}: {text['question']}",
        paragraphs=(when,),
        choices=(Choice("attendance", ATTENDED, text["attended"]), Choice("attendance", MISSED, text["missed"])),
    )


def answer(claims: LinkClaims, form: Mapping[str, str], ctx: LinkContext) -> Page:
    language = _language(claims)
    text = TEXTS[language]
    choice = form.get("attendance")
    if choice not in (ATTENDED, MISSED) or claims.participant_id is None:
        raise NotFound("no answer given")
    event, _ = _invited_event(claims, ctx)
    if ctx.clock.now() < event.ends_at:
        return Page(language=language, title=text["too_early"])
    taken = confirm_attendance(
        storage=ctx.storage,
        tenant_id=claims.tenant_id,
        programme_id=claims.programme_id,
        event_id=claims.subject_id,
        participant_id=claims.participant_id,
        attended=choice == ATTENDED,
    )
    if not taken:
        return Page(language=language, title=text["recorded"])
    return Page(language=language, title=text["thanks_attended"] if choice == ATTENDED else text["thanks_missed"])


EVENT_ATTENDANCE = LinkAction(name=ATTENDANCE_ACTION, page=show, perform=answer, ttl=ATTENDANCE_LINK_TTL)
