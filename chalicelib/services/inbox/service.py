"""The webhook inbox: verify, record durably and idempotently, process, retry.

A delivery is stored before it is processed, so nothing a vendor sent is lost when
processing fails: the delivery keeps its attempts and last error and is retried by
the sweeper with exponential back-off until it is parked as dead. The same delivery
arriving twice (a vendor retry, a replay attack within the tolerance) is stored once
and processed once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.json_limits import json_problem
from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError
from chalicelib.domain.retry import exponential_backoff
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint, delivery_id_for_body
from chalicelib.errors import (
    MentoringError,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    VersionConflict,
)
from chalicelib.logging import log_event, log_warning
from chalicelib.notify.outbox import Notifier
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.erasures import PersonErased
from chalicelib.services.inbox.ports import (
    HandshakeAnswer,
    ProcessingContext,
    ProcessOutcome,
    SourceRegistry,
    WebhookRequest,
)
from chalicelib.services.tenants import retention
from chalicelib.storage.batch import begin
from chalicelib.storage.delivery_bodies import split
from chalicelib.storage.repositories import Storage

MAX_BACKOFF = timedelta(hours=6)
FIRST_BACKOFF = timedelta(minutes=1)
# A delivery still "received" this long after arrival was interrupted mid-processing; the sweeper takes it over.
STALE_RECEIVED_AFTER = timedelta(minutes=5)
# Vendors send their own long headers (tracing etc.); only these are worth keeping for replays.
_KEPT_HEADERS = ("content-type", "user-agent")
# Query parameters that may carry a secret are never stored, whatever the source calls them.
_SECRET_PARAMETERS = frozenset({"token"})


@dataclass(frozen=True)
class InboxPolicy:
    max_body_bytes: int = 1_048_576
    max_attempts: int = 8
    raw_body_ttl: timedelta = timedelta(days=14)
    # Deliveries a person must look at (needs attention, dead) hold raw answers too: they end as well,
    # after the tenant's retention period, or this where the tenant set none.
    attention_ttl: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Receipt:
    """What the webhook route answers: the delivery's id and state, and whether it was a duplicate."""

    delivery_id: str
    state: DeliveryState
    duplicate: bool


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, capped at six hours."""
    return exponential_backoff(attempts, first=FIRST_BACKOFF, cap=MAX_BACKOFF)


def find_endpoint(ctx: ProcessingContext, source: str, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint a URL names; an unknown endpoint and one of another source look the same.

    Read through ``recent``: in a warm process an endpoint deleted or changed elsewhere is
    used for up to the endpoint cache's time to live (``storage.endpoints``).
    """
    endpoint = ctx.storage.endpoints.recent(endpoint_id)
    if endpoint is None or endpoint.source != source:
        raise NotFound("no such webhook endpoint")
    return endpoint


def receive(
    *,
    source: str,
    endpoint_id: str,
    request: WebhookRequest,
    content_type: str,
    specs: SourceRegistry,
    ctx: ProcessingContext,
    policy: InboxPolicy,
) -> Receipt | HandshakeAnswer:
    """Verify and record one webhook request, then process it once; or answer the vendor's URL check.

    Raises
    ------
    NotFound
        Unknown source or endpoint (nothing is stored).
    PayloadTooLarge, UnsupportedMediaType
        The body is over the limit or not of a type this source posts (nothing is stored).
    WebhookVerificationError
        The request does not verify against any current secret (nothing is stored).
    """
    spec = specs.spec(source)
    if spec is None:
        raise NotFound("no such webhook source")
    endpoint = find_endpoint(ctx, source, endpoint_id)
    handshake = spec.handshake(request)
    if handshake is not None:
        return handshake
    if len(request.body) > policy.max_body_bytes:
        raise PayloadTooLarge(f"body is over {policy.max_body_bytes} bytes")
    if _media_type(content_type) not in spec.content_types:
        raise UnsupportedMediaType(
            f"{source} webhooks are posted as {', '.join(spec.content_types)}",
            details={"accepted": list(spec.content_types)},
        )
    now = ctx.clock.now()
    spec.verifier(ctx.clock).verify(request, endpoint.valid_secrets(now))
    refusal = spec.admit(request, endpoint, ctx) if spec.admit is not None else None
    if refusal is not None:
        return refusal

    try:
        vendor_id = spec.delivery_id(request)
    # A verified body is kept whatever it holds; one whose id cannot be read is known by its hash.
    except (ValueError, RecursionError):
        vendor_id = None
    delivery_id = vendor_id or delivery_id_for_body(request.body)
    if len(delivery_id) > 500:
        raise ValidationFailed("delivery id is too long")
    secret_parameters = _SECRET_PARAMETERS | {spec.token_parameter or ""}
    delivery = Delivery(
        delivery_id=delivery_id,
        endpoint_id=endpoint.endpoint_id,
        tenant_id=endpoint.tenant_id,
        programme_id=endpoint.programme_id,
        source=endpoint.source,
        content_type=content_type,
        body=request.body,
        headers={k: v for k, v in request.headers.items() if k in _KEPT_HEADERS},
        query={k: v for k, v in request.query.items() if k not in secret_parameters},
        received_at=now,
        updated_at=now,
        next_attempt_at=now + STALE_RECEIVED_AFTER,
    )
    try:
        added = ctx.storage.deliveries.add(delivery)
    except PayloadTooLarge:
        # Verified, so the vendor will not send it again: the body goes beside the item, in parts.
        delivery = delivery.model_copy(
            update={"body": None, "body_parts": _store_parts(delivery, request.body, ctx, policy)}
        )
        added = ctx.storage.deliveries.add(delivery)
    if not added:
        existing = ctx.storage.deliveries.get(endpoint.endpoint_id, delivery_id)
        state = existing.state if existing else DeliveryState.RECEIVED
        log_event("webhook duplicate", endpoint_id=endpoint.endpoint_id, source=source, state=state.value)
        return Receipt(delivery_id=delivery_id, state=state, duplicate=True)

    # What add() stored: the same delivery at its first version.
    try:
        processed = process(delivery.model_copy(update={"version": 1}), endpoint, specs, ctx, policy)
    # Once stored, the delivery is safe and the sweeper takes it over as interrupted; a vendor told
    # 5xx now would send it again or, worse, give up on the endpoint.
    except Exception as exc:
        log_warning(
            "webhook stored, recording its outcome failed",
            endpoint_id=endpoint.endpoint_id,
            source=source,
            error_type=type(exc).__name__,
        )
        return Receipt(delivery_id=delivery_id, state=DeliveryState.RECEIVED, duplicate=False)
    return Receipt(delivery_id=delivery_id, state=processed.state, duplicate=False)


def process(
    delivery: Delivery,
    endpoint: WebhookEndpoint,
    specs: SourceRegistry,
    ctx: ProcessingContext,
    policy: InboxPolicy,
) -> Delivery:
    """Parse a stored delivery for its endpoint's purpose, hand it to that purpose's handler, record how it went."""
    now = ctx.clock.now()
    attempts = delivery.attempts + 1
    unit = begin(ctx.storage)
    # The delivery is stored as in hand (just added, or just read): its outcome joins the unit's writes.
    unit.remember(delivery)
    in_unit = ctx
    if unit.deferred:
        in_unit = dataclasses.replace(
            ctx, storage=unit.storage, notifier=Notifier(unit.storage.messages, ctx.clock), unit=unit
        )
    try:
        outcome = dispatch(with_body(delivery, in_unit.storage), endpoint, specs, in_unit)
        saved = _record_outcome(delivery, in_unit, policy, attempts, outcome, now)
        unit.commit()
    except PersonErased as exc:
        unit.discard()
        return _forget(delivery, ctx, policy, attempts, exc.message)
    except MentoringError as exc:
        unit.discard()
        return _record_failure(delivery, ctx, policy, attempts, f"{type(exc).__name__}: {exc.message}"[:300])
    # The inbox is the boundary that must never lose a delivery: whatever a processor raises
    # is recorded (by type only, as messages may quote personal data) and retried later.
    except Exception as exc:
        unit.discard()
        return _record_failure(delivery, ctx, policy, attempts, type(exc).__name__)
    return saved


def dispatch(
    delivery: Delivery, endpoint: WebhookEndpoint, specs: SourceRegistry, ctx: ProcessingContext
) -> ProcessOutcome:
    """Parse a delivery for the endpoint's purpose and hand it to that purpose's handler; nothing is recorded.

    Parse problems become outcomes; whatever the handler raises propagates (``process`` records it).
    """
    route = specs.route(delivery.source, endpoint.purpose)
    if route is None:
        # Kept, not dropped: registering the missing handler and replaying picks it up.
        return ProcessOutcome.needs_attention(
            f"nothing handles {endpoint.purpose.value} deliveries from {delivery.source}"
        )
    parse, handle = route
    problem = _unreadable(delivery.body)
    if problem is not None:
        return ProcessOutcome.needs_attention(f"the body cannot be read: {problem}")
    try:
        item = parse(delivery)
    except IrrelevantEvent as exc:
        return ProcessOutcome.ignored(str(exc))
    except PayloadParseError as exc:
        return ProcessOutcome.needs_attention(f"the {exc.what} cannot be read: {exc}")
    # Reading the same bytes fails the same way every time: a person must look, retrying cannot help.
    # Only the type is kept, as a parser's message may quote an answer.
    except (ValueError, RecursionError) as exc:
        return ProcessOutcome.needs_attention(f"the body cannot be read ({type(exc).__name__})")
    outcome = handle(item, endpoint, ctx)
    if outcome.reason is None:
        return outcome
    # Reasons end up in last_error, which the CLI prints and lists show: they name questions, never answers.
    answers = _answer_texts(item)
    return dataclasses.replace(
        outcome,
        reason=_unquoted(outcome.reason, answers),
        result=_unquoted_all(outcome.result, answers),
    )


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _answer_texts(item: object) -> set[str]:
    """The text of every answer a parsed item holds, whitespace-folded as problem reasons quote it."""
    texts: set[str] = set()
    for answer in getattr(item, "answers", None) or []:
        value = getattr(answer, "value", None)
        values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for part in values:
            for text in part if isinstance(part, list) else [part]:
                if isinstance(text, str | int | float) and not isinstance(text, bool):
                    texts.add(" ".join(str(text).split()))
    return texts


def _unquoted(text: str, answers: set[str]) -> str:
    """``text`` with every quoted answer (whole, or clipped with an ellipsis) replaced by an ellipsis."""

    def hide(match: re.Match[str]) -> str:
        quoted = match.group(1)
        clipped = quoted.removesuffix("…")
        if quoted in answers or (clipped != quoted and any(a.startswith(clipped) for a in answers)):
            return '"…"'
        return match.group(0)

    return _QUOTED.sub(hide, text) if answers else text


def _unquoted_all(value: Any, answers: set[str]) -> Any:
    if isinstance(value, str):
        return _unquoted(value, answers)
    if isinstance(value, dict):
        return {k: _unquoted_all(v, answers) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquoted_all(v, answers) for v in value]
    return value


def _unreadable(body: bytes | None) -> str | None:
    """Why a body would break a parser (too deep, too long a number), found before any parser runs."""
    if body is None:
        return None
    return json_problem(body.decode("utf-8", errors="replace"))


def _record_outcome(
    delivery: Delivery,
    ctx: ProcessingContext,
    policy: InboxPolicy,
    attempts: int,
    outcome: ProcessOutcome,
    now: datetime,
) -> Delivery:
    finished = outcome.state in (DeliveryState.DONE, DeliveryState.IGNORED)
    update = {
        "state": outcome.state,
        "attempts": attempts,
        "result": outcome.result,
        "last_error": outcome.reason,
        "next_attempt_at": None,
        "updated_at": now,
        # Finished deliveries stay (for idempotency and dry runs) only until their TTL; those that
        # need a person stay for the longer retention a coordinator needs to look at them.
        "expires_at": delivery.received_at
        + (policy.raw_body_ttl if finished else _attention_ttl(delivery, ctx, policy)),
    }
    if outcome.person is not None:
        update["person"] = outcome.person
    saved = _save_latest(delivery, ctx, update)
    log_event(
        "webhook processed",
        endpoint_id=delivery.endpoint_id,
        tenant_id=delivery.tenant_id,
        source=delivery.source,
        state=outcome.state.value,
        attempts=attempts,
    )
    return saved


def _store_parts(delivery: Delivery, body: bytes, ctx: ProcessingContext, policy: InboxPolicy) -> int:
    parts = split(
        body,
        tenant_id=delivery.tenant_id,
        endpoint_id=delivery.endpoint_id,
        delivery_id=delivery.delivery_id,
        expires_at=delivery.received_at + _attention_ttl(delivery, ctx, policy),
    )
    ctx.storage.delivery_bodies.put(parts)
    return len(parts)


def with_body(delivery: Delivery, storage: Storage) -> Delivery:
    """The delivery with its raw body in hand, read from its parts when it was too large for the item."""
    if delivery.body is not None or not delivery.body_parts:
        return delivery
    return delivery.model_copy(
        update={"body": storage.delivery_bodies.read(delivery.endpoint_id, delivery.delivery_id)}
    )


def delete_delivery(delivery: Delivery, storage: Storage) -> None:
    """Delete a delivery with the parts of its body, if it has any."""
    if delivery.body_parts:
        storage.delivery_bodies.delete(delivery.endpoint_id, delivery.delivery_id)
    storage.deliveries.delete(delivery)


def _forget(delivery: Delivery, ctx: ProcessingContext, policy: InboxPolicy, attempts: int, reason: str) -> Delivery:
    """Keep only the delivery's id (for idempotency), never its erased sender's data."""
    now = ctx.clock.now()
    if delivery.body_parts:
        ctx.storage.delivery_bodies.delete(delivery.endpoint_id, delivery.delivery_id)
    update = {
        "state": DeliveryState.IGNORED,
        "attempts": attempts,
        "body": None,
        "body_parts": 0,
        "headers": {},
        "query": {},
        "result": None,
        "last_error": reason,
        "next_attempt_at": None,
        "updated_at": now,
        "expires_at": now + policy.raw_body_ttl,
    }
    saved = _save_latest(delivery, ctx, update)
    log_event("webhook from an erased person ignored", endpoint_id=delivery.endpoint_id, source=delivery.source)
    return saved


def _record_failure(
    delivery: Delivery, ctx: ProcessingContext, policy: InboxPolicy, attempts: int, error: str
) -> Delivery:
    now = ctx.clock.now()
    dead = attempts >= policy.max_attempts
    update = {
        "state": DeliveryState.DEAD if dead else DeliveryState.RETRYING,
        "attempts": attempts,
        "last_error": error,
        "next_attempt_at": None if dead else now + backoff(attempts),
        "updated_at": now,
        "expires_at": delivery.received_at + _attention_ttl(delivery, ctx, policy) if dead else None,
    }
    saved = _save_latest(delivery, ctx, update)
    log_warning(
        "webhook processing failed",
        endpoint_id=delivery.endpoint_id,
        tenant_id=delivery.tenant_id,
        source=delivery.source,
        state=saved.state.value,
        attempts=attempts,
        error_type=error.split(":", 1)[0],
    )
    return saved


def _attention_ttl(delivery: Delivery, ctx: ProcessingContext, policy: InboxPolicy) -> timedelta:
    return retention(ctx.storage, delivery.tenant_id, default=policy.attention_ttl)


def _save_latest(delivery: Delivery, ctx: ProcessingContext, update: Mapping[str, object]) -> Delivery:
    """Save the outcome on top of whatever version is stored now (the outcome is the newest truth)."""
    # The first attempt writes over the version in hand; only a lost race costs a read.
    in_hand = [delivery]

    def load() -> Delivery | None:
        if in_hand:
            return in_hand.pop()
        return ctx.storage.deliveries.get(delivery.endpoint_id, delivery.delivery_id)

    def change(latest: Delivery | None) -> Delivery:
        if latest is None:
            raise VersionConflict("the delivery was removed while it was processed")
        return latest.model_copy(update=dict(update))

    saved = update_with_retry(load, change, ctx.storage.deliveries.save, message="the delivery kept changing")
    assert saved is not None  # change() never declines, so the result is always a saved delivery
    return saved


def retry_due(
    *, specs: SourceRegistry, ctx: ProcessingContext, policy: InboxPolicy, limit: int = 100
) -> dict[str, int]:
    """The sweeper: process again every delivery whose back-off has passed, and interrupted ones."""
    now = ctx.clock.now()
    counts = {"retried": 0, "done": 0, "failed": 0, "dead": 0}
    for state in (DeliveryState.RETRYING, DeliveryState.RECEIVED):
        for delivery in ctx.storage.deliveries.by_state(state, due_before=now, limit=limit):
            endpoint = ctx.storage.endpoints.get(delivery.endpoint_id)
            if endpoint is None or specs.spec(delivery.source) is None:
                _park(delivery, ctx, policy, "endpoint or source no longer configured")
                counts["dead"] += 1
                continue
            result = process(delivery, endpoint, specs, ctx, policy)
            counts["retried"] += 1
            if result.state in (DeliveryState.DONE, DeliveryState.IGNORED, DeliveryState.NEEDS_ATTENTION):
                counts["done"] += 1
            elif result.state is DeliveryState.DEAD:
                counts["dead"] += 1
            else:
                counts["failed"] += 1
    return counts


def _park(delivery: Delivery, ctx: ProcessingContext, policy: InboxPolicy, reason: str) -> None:
    now = ctx.clock.now()
    _save_latest(
        delivery,
        ctx,
        {
            "state": DeliveryState.DEAD,
            "last_error": reason,
            "next_attempt_at": None,
            "updated_at": now,
            "expires_at": delivery.received_at + _attention_ttl(delivery, ctx, policy),
        },
    )


def replay(
    *,
    endpoint: WebhookEndpoint,
    delivery_id: str,
    specs: SourceRegistry,
    ctx: ProcessingContext,
    policy: InboxPolicy,
) -> Delivery:
    """Process a stored delivery again on purpose (after a mapping fix, or a parked one), whatever its state.

    Raises
    ------
    NotFound
        No such delivery for this endpoint.
    ValidationFailed
        Its raw body has already been dropped, so there is nothing to replay.
    """
    delivery = ctx.storage.deliveries.get(endpoint.endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    if delivery.body is None and not delivery.body_parts:
        raise ValidationFailed("this delivery's body has expired; it cannot be replayed")
    if specs.spec(delivery.source) is None:
        raise NotFound("no such webhook source")
    # A replay starts a fresh series of attempts, so a parked delivery is not parked again at once.
    fresh = delivery.model_copy(update={"attempts": 0})
    return process(fresh, endpoint, specs, ctx, policy)
