"""The outbox: workflows queue rendered messages here; ``services.notifications`` sends them later.

Queueing is idempotent. The message id follows from the tenant and the caller's
idempotency key, so a retried job that queues the same message again stores nothing
and gets ``None`` back; the sender sweep (``chalicelib.services.notifications``) then
sends each stored message once.

This module renders and stores; it never talks to a mail provider. Quiet hours are
applied here, when the message is queued, by setting ``not_before`` to the next local
time at which the recipient may be disturbed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.clock import Clock
from chalicelib.domain.common import normalise_email, require
from chalicelib.domain.message import Attachment, Message, message_id_for
from chalicelib.domain.participant import Participant
from chalicelib.domain.programme import Programme
from chalicelib.errors import ValidationFailed
from chalicelib.logging import log_event
from chalicelib.notify.templates import render
from chalicelib.storage.repositories import MessageRepository

QuietHours = tuple[int, int]


def quiet_hours_of(programme: Programme) -> QuietHours:
    """The programme's quiet hours as ``(start, end)`` local hours, ready for ``Notifier.queue``."""
    return (programme.reminders.quiet_hours_start, programme.reminders.quiet_hours_end)


def next_send_time(now: datetime, tz_name: str, quiet_start: int, quiet_end: int) -> datetime:
    """The earliest moment at or after ``now`` outside the quiet hours of time zone ``tz_name``.

    Quiet hours run from ``quiet_start:00`` up to (not including) ``quiet_end:00`` local
    time and may span midnight (20 → 8). Equal hours mean no quiet hours. The result is
    in ``now``'s time zone; on a day whose ``quiet_end:00`` falls into a daylight-saving
    gap it is the first valid moment after the gap.

    Raises
    ------
    ValueError
        When ``now`` is naive or an hour is outside 0–23.
    """
    if now.tzinfo is None:
        raise ValueError("next_send_time needs an aware datetime")
    if not (0 <= quiet_start <= 23 and 0 <= quiet_end <= 23):
        raise ValueError("quiet hours must be between 0 and 23")
    if quiet_start == quiet_end:
        return now
    zone = ZoneInfo(tz_name)
    local = now.astimezone(zone)
    hour = local.hour
    if not _is_quiet(hour, quiet_start, quiet_end):
        return now
    day = local.date() if hour < quiet_end else local.date() + timedelta(days=1)
    wake = datetime.combine(day, time(quiet_end), tzinfo=zone)
    return wake.astimezone(now.tzinfo)


def _is_quiet(hour: int, quiet_start: int, quiet_end: int) -> bool:
    if quiet_start < quiet_end:
        return quiet_start <= hour < quiet_end
    return hour >= quiet_start or hour < quiet_end


def _coordinator_values(programme: Programme, language: str | None) -> dict[str, object]:
    """``coordinator_name`` and ``coordinator_email``, for texts that tell people whom to write to."""
    coordinator = programme.coordinator_for(language)
    if coordinator is None:
        return {}
    return {"coordinator_name": coordinator.name, "coordinator_email": coordinator.email}


@dataclass(frozen=True)
class LinkRequest:
    """One signed one-click link a message needs: an action on a subject, for whom, until when (ids only)."""

    tenant_id: str
    programme_id: str
    action: str
    subject_id: str
    expires_at: datetime
    participant_id: str | None = None
    language: str | None = None


# Makes the URL of the link (``chalicelib.services.links.link_signer``).
LinkSigner = Callable[[LinkRequest], str]


class Notifier:
    """Renders messages in the recipient's language and puts them in the outbox, once per idempotency key.

    With ``links``, a workflow can put signed one-click links into what it queues; without
    (no public address configured) ``link`` gives ``None`` and the text says what to do instead.
    """

    def __init__(self, messages: MessageRepository, clock: Clock, links: LinkSigner | None = None) -> None:
        self._messages = messages
        self._clock = clock
        self._links = links

    def link(self, request: LinkRequest) -> str | None:
        """The URL of a one-click link for a message, or ``None`` when this deployment issues none."""
        return None if self._links is None else self._links(request)

    def queue(
        self,
        *,
        tenant_id: str,
        recipient: Participant,
        programme: Programme | None,
        template: str,
        context: Mapping[str, object],
        idempotency_key: str,
        not_before: datetime | None = None,
        quiet_hours: QuietHours | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Message | None:
        """Queue ``template`` for a participant; ``None`` when this idempotency key was queued before.

        The text is in the participant's language, else the programme's default, else
        English. ``name``, ``programme_name``, ``matching_date`` and the coordinator's
        ``coordinator_name`` and ``coordinator_email`` are taken from the participant and
        programme unless ``context`` gives them; replies go to the programme's coordinator. Quiet hours are read in
        the participant's time zone, else the programme's, else UTC.

        Raises
        ------
        ValidationFailed
            When the participant belongs to another tenant or programme, or rendering fails
            (unknown template, missing variable).
        """
        require(recipient.tenant_id == tenant_id, "the recipient belongs to another tenant")
        if programme is not None:
            require(programme.tenant_id == tenant_id, "the programme belongs to another tenant")
            require(
                programme.programme_id == recipient.programme_id,
                "the recipient is not enrolled in this programme",
            )
        values: dict[str, object] = {"name": recipient.profile.name}
        if programme is not None:
            values.update(programme_name=programme.name, matching_date=programme.matching_date)
            values.update(_coordinator_values(programme, recipient.profile.language))
        values.update(context)
        timezone = recipient.profile.timezone or (programme.timezone if programme is not None else None)
        return self._enqueue(
            tenant_id=tenant_id,
            programme_id=programme.programme_id if programme is not None else recipient.programme_id,
            participant_id=recipient.participant_id,
            address=recipient.email,
            language=recipient.profile.language,
            fallback=[programme.default_language] if programme is not None else [],
            timezone=timezone,
            template=template,
            context=values,
            idempotency_key=idempotency_key,
            not_before=not_before,
            quiet_hours=quiet_hours,
            attachments=attachments,
            reply_to=programme.reply_to if programme is not None else None,
        )

    def queue_to_address(
        self,
        *,
        tenant_id: str,
        email: str,
        language: str | None,
        template: str,
        context: Mapping[str, object],
        idempotency_key: str,
        programme: Programme | None = None,
        timezone: str | None = None,
        not_before: datetime | None = None,
        quiet_hours: QuietHours | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Message | None:
        """Queue ``template`` for an address that is no participant (a coordinator, a manager).

        Language falls back to the programme's default, then English; the time zone (for
        quiet hours and date-times) to the programme's, then UTC. ``programme_name`` comes
        from the programme unless ``context`` gives it. ``None`` when already queued.

        Raises
        ------
        ValidationFailed
            When ``email`` is not an address, the programme belongs to another tenant, or
            rendering fails.
        """
        try:
            address = normalise_email(email)
        except ValueError as exc:
            raise ValidationFailed("the recipient is not a valid e-mail address") from exc
        values: dict[str, object] = {}
        if programme is not None:
            require(programme.tenant_id == tenant_id, "the programme belongs to another tenant")
            values.update(programme_name=programme.name, matching_date=programme.matching_date)
            values.update(_coordinator_values(programme, language))
        values.update(context)
        return self._enqueue(
            tenant_id=tenant_id,
            programme_id=programme.programme_id if programme is not None else None,
            participant_id=None,
            address=address,
            language=language,
            fallback=[programme.default_language] if programme is not None else [],
            timezone=timezone or (programme.timezone if programme is not None else None),
            template=template,
            context=values,
            idempotency_key=idempotency_key,
            not_before=not_before,
            quiet_hours=quiet_hours,
            attachments=attachments,
            reply_to=programme.reply_to if programme is not None else None,
        )

    def _enqueue(
        self,
        *,
        tenant_id: str,
        programme_id: str | None,
        participant_id: str | None,
        address: str,
        language: str | None,
        fallback: list[str],
        timezone: str | None,
        template: str,
        context: Mapping[str, object],
        idempotency_key: str,
        not_before: datetime | None,
        quiet_hours: QuietHours | None,
        attachments: Sequence[Attachment] = (),
        reply_to: str | None = None,
    ) -> Message | None:
        require(0 < len(idempotency_key) <= 500, "the idempotency key must have 1 to 500 characters")
        if not_before is not None and not_before.tzinfo is None:
            raise ValidationFailed("not_before must be timezone-aware")
        rendered = render(template, language, context, fallback=fallback, timezone=timezone)

        now = self._clock.now()
        send_at = max(not_before, now) if not_before is not None else now
        if quiet_hours is not None:
            send_at = next_send_time(send_at, timezone or "UTC", *quiet_hours)
        message = Message(
            message_id=message_id_for(tenant_id, idempotency_key),
            tenant_id=tenant_id,
            programme_id=programme_id,
            participant_id=participant_id,
            idempotency_key=idempotency_key,
            recipient=address,
            reply_to=reply_to if reply_to != address else None,
            language=rendered.language,
            template=template,
            subject=rendered.subject,
            body_text=rendered.body_text,
            not_before=send_at if send_at != now else None,
            created_at=now,
            attachments=list(attachments),
        )
        if not self._messages.add(message):
            log_event("message already queued", tenant_id=tenant_id, message_id=message.message_id, template=template)
            return None
        log_event(
            "message queued",
            tenant_id=tenant_id,
            message_id=message.message_id,
            template=template,
            language=rendered.language,
        )
        # What add() stored: the same message at its first version.
        return message.model_copy(update={"version": 1})


__all__ = ["LinkRequest", "LinkSigner", "Notifier", "QuietHours", "next_send_time", "quiet_hours_of"]
