"""The sender sweep: sends due outbox messages through an e-mail channel, each at most once.

A message is due while it is pending, or failed but still retryable, and its
``not_before`` (else its creation time) has come. Each one is *claimed* before it is
sent: an optimistic save that adds one to ``attempts`` and moves ``not_before`` a lease
period ahead. Two sweeps running at once may list the same message, but only one claim
succeeds (the other gets ``VersionConflict`` and skips it), and once claimed the
message is no longer due, so a sweep that lists later does not see it either.

After sending, the message is marked sent with the provider's id. When the channel
fails, it is marked failed with a short error (a provider code, never personal data)
and ``not_before`` moves out with exponential back-off. After ``max_attempts`` it is
given up: it stays failed, with ``not_before`` set to ``NEVER_DUE`` so that no sweep
lists it as due again; to retry it by hand, set it pending with ``attempts`` 0 and no
``not_before``.

A storage error while marking a sent message (throttling, a timeout) neither stops
the sweep nor leads to a second send: the mark is tried again after the rest of the
sweep, ``MARK_ROUNDS`` times in all. The window left is at-least-once: when the
provider times out (it may or may not have accepted the message), or the process dies
between the provider accepting a message and the sent mark being stored, or every
round of marking fails, the claim's lease expires after ``CLAIM_LEASE`` and the
message is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.clock import Clock
from chalicelib.domain.common import require
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.participant import Participant
from chalicelib.domain.retry import exponential_backoff
from chalicelib.errors import VersionConflict
from chalicelib.logging import log_event, log_warning
from chalicelib.notify.channels import DeliveryFailed, EmailChannel
from chalicelib.notify.pacing import SendPacer
from chalicelib.notify.staleness import still_true
from chalicelib.storage.repositories import MessageRepository, Storage

NEVER_DUE = datetime(9999, 1, 1, tzinfo=UTC)
"""``not_before`` of a message that was given up: far enough that no sweep finds it due."""

CLAIM_LEASE = timedelta(minutes=15)
"""How long a claimed message is hidden from other sweeps; longer than one send can take."""

MARK_ROUNDS = 3
"""How many times a sweep tries to store that a message was sent before it leaves it to the lease."""

RETRY_BASE_DELAY = timedelta(minutes=5)
RETRY_MAX_DELAY = timedelta(hours=6)
_MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class SendReport:
    """What one sweep did.

    ``failed`` counts send attempts that failed, ``skipped`` messages this sweep left to
    another (lost claim) or gave up without trying, and ``gave_up`` the messages that
    will not be retried any more, from either of those; ``dropped`` the stale ones.
    """

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    gave_up: int = 0
    dropped: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failed attempt: 5 min, 10, 20, … up to 6 hours."""
    return exponential_backoff(attempts, first=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY)


def send_pending(
    *,
    storage: Storage,
    channel: EmailChannel,
    clock: Clock,
    sender: str,
    limit: int = 100,
    max_attempts: int = 5,
    pacer: SendPacer | None = None,
) -> SendReport:
    """Send every due message, oldest first (retries among them), in batches of ``limit``, at the pacer's rate.

    A message whose facts changed since it was queued (``notify.staleness``) is dropped,
    not sent. Each tenant's messages go From its own verified sender when it has one.
    The sweep stops when nothing is due or the pacer's time budget is spent.
    """
    require(limit > 0, "limit must be positive")
    require(max_attempts > 0, "max_attempts must be positive")
    messages = storage.messages
    pacer = pacer or SendPacer()
    senders: dict[str, str] = {}
    counts = {"sent": 0, "failed": 0, "skipped": 0, "gave_up": 0, "dropped": 0}
    # Sent but not yet recorded as sent (a throttled write): recorded again after the sweep, never re-sent.
    unmarked: list[tuple[Message, str, datetime, datetime | None]] = []
    out_of_time = False
    while not out_of_time:
        due = _due_oldest_first(messages, clock.now(), limit)
        if not due:
            break
        for message in due:
            if message.attempts >= max_attempts:
                counts["skipped"] += 1
                counts["gave_up"] += _give_up_unsent(messages, message)
                continue
            if not still_true(message.template, _recipient(storage, message)):
                counts["dropped"] += _drop(messages, message)
                continue
            if not pacer.turn(message.tenant_id):
                out_of_time = True
                break
            now = clock.now()
            try:
                claimed = messages.save(
                    message.model_copy(update={"attempts": message.attempts + 1, "not_before": now + CLAIM_LEASE})
                )
            except VersionConflict:
                log_event("message claimed by another sweep", message_id=message.message_id)
                counts["skipped"] += 1
                continue

            if message.tenant_id not in senders:
                tenant = storage.tenants.get(message.tenant_id)
                senders[message.tenant_id] = (tenant.sender_email if tenant else None) or sender
            provider_id, error = _send(channel, claimed, senders[message.tenant_id])
            if provider_id is not None:
                counts["sent"] += 1
                if not _mark_sent(messages, claimed, provider_id, clock.now(), original_not_before=message.not_before):
                    unmarked.append((claimed, provider_id, clock.now(), message.not_before))
            else:
                counts["failed"] += 1
                counts["gave_up"] += _mark_failed(messages, claimed, error, clock.now(), max_attempts)

    for _ in range(MARK_ROUNDS - 1):
        unmarked = [m for m in unmarked if not _mark_sent(messages, m[0], m[1], m[2], original_not_before=m[3])]
    for claimed, _provider_id, _at, _not_before in unmarked:
        log_warning("sent message could not be marked sent", message_id=claimed.message_id)
    report = SendReport(**counts)
    log_event("outbox sweep finished", **counts)
    return report


def tenant_rates(storage: Storage) -> Callable[[str], float | None]:
    """Each tenant's configured send rate, read once per sweep."""
    cache: dict[str, float | None] = {}

    def rate(tenant_id: str) -> float | None:
        if tenant_id not in cache:
            tenant = storage.tenants.get(tenant_id)
            cache[tenant_id] = tenant.send_rate_per_second if tenant else None
        return cache[tenant_id]

    return rate


def _due_oldest_first(messages: MessageRepository, now: datetime, limit: int) -> list[Message]:
    """Due pending and failed messages together, by when they were queued (a retried confirmation first)."""
    due = messages.by_state(MessageState.PENDING, due_before=now, limit=limit)
    due += messages.by_state(MessageState.FAILED, due_before=now, limit=limit)
    return sorted(due, key=lambda m: (m.created_at, m.message_id))[:limit]


def _recipient(storage: Storage, message: Message) -> Participant | None:
    if message.participant_id is None or message.programme_id is None:
        return None
    return storage.participants.get(message.tenant_id, message.programme_id, message.participant_id)


def _drop(messages: MessageRepository, message: Message) -> int:
    try:
        messages.save(message.model_copy(update={"state": MessageState.DROPPED, "last_error": "stale: not sent"}))
    except VersionConflict:
        return 0
    log_event("stale message dropped", message_id=message.message_id, template=message.template)
    return 1


def _send(channel: EmailChannel, claimed: Message, sender: str) -> tuple[str | None, str]:
    """The provider's id, or None and a storable error text."""
    try:
        return channel.send(claimed, sender=sender), ""
    except DeliveryFailed as exc:
        return None, exc.message
    except Exception as exc:
        # Whatever a channel raises must not stop the sweep; the type name carries no personal data.
        log_warning("channel raised an unexpected error", message_id=claimed.message_id, error_type=type(exc).__name__)
        return None, f"unexpected {type(exc).__name__}"


def _mark_sent(
    messages: MessageRepository,
    claimed: Message,
    provider_id: str,
    at: datetime,
    *,
    original_not_before: datetime | None,
) -> bool:
    """Store that the message went out; False when storage failed and it is worth trying again."""
    done = claimed.model_copy(
        update={
            "state": MessageState.SENT,
            "sent_at": at,
            "provider_message_id": provider_id,
            "last_error": None,
            "not_before": original_not_before,
        }
    )
    try:
        messages.save(done)
    except VersionConflict:
        # Only possible when a send outlasted the claim lease and another sweep claimed it too.
        log_warning("sent message was claimed again before it was marked", message_id=claimed.message_id)
        return True
    # Throttling or a timeout of the store must not stop the sweep: the caller tries again later.
    except Exception as exc:
        log_warning("marking a sent message failed", message_id=claimed.message_id, error_type=type(exc).__name__)
        return False
    log_event("message sent", message_id=claimed.message_id, attempts=claimed.attempts)
    return True


def _mark_failed(messages: MessageRepository, claimed: Message, error: str, at: datetime, max_attempts: int) -> int:
    """Store the failure and when to retry; 1 when this was the last attempt, else 0."""
    last = claimed.attempts >= max_attempts
    text = error[:_MAX_ERROR_LENGTH]
    if last:
        text = f"{text}; {_gave_up(claimed.attempts)}"[:_MAX_ERROR_LENGTH]
    failed = claimed.model_copy(
        update={
            "state": MessageState.FAILED,
            "last_error": text,
            "not_before": NEVER_DUE if last else at + retry_delay(claimed.attempts),
        }
    )
    try:
        messages.save(failed)
    except VersionConflict:
        log_warning("failed message was claimed again before it was marked", message_id=claimed.message_id)
        return 0
    log_warning("message not sent", message_id=claimed.message_id, attempts=claimed.attempts, error=text, gave_up=last)
    return 1 if last else 0


def _give_up_unsent(messages: MessageRepository, message: Message) -> int:
    """Retire a due message whose attempts are used up (a sweep crashed after claiming it)."""
    reason = _gave_up(message.attempts)
    text = f"{message.last_error}; {reason}" if message.last_error else reason
    retired = message.model_copy(
        update={
            "state": MessageState.FAILED,
            "last_error": text[-_MAX_ERROR_LENGTH:],
            "not_before": NEVER_DUE,
        }
    )
    try:
        messages.save(retired)
    except VersionConflict:
        return 0
    log_warning("message given up", message_id=message.message_id, attempts=message.attempts)
    return 1


def _gave_up(attempts: int) -> str:
    return f"gave up after {attempts} attempt{'' if attempts == 1 else 's'}"


__all__ = ["CLAIM_LEASE", "NEVER_DUE", "SendReport", "retry_delay", "send_pending", "tenant_rates"]
