"""What each webhook source plugs into the inbox: how it is verified, what it accepts, who processes it.

The inbox (``chalicelib.services.inbox``) is source-agnostic. A source contributes a
``SourceSpec``: a verifier factory, the content types its vendor posts, and a processor
that turns one stored delivery into domain changes. Processors must be idempotent: a
delivery may be processed again after a crash or a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.webhook import Delivery, DeliveryState, Source, WebhookEndpoint

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage
    from chalicelib.webhooks.verify import Verifier


@dataclass
class ProcessingContext:
    """Everything a processor may touch: storage, the notifier outbox and the clock."""

    storage: Storage
    notifier: Notifier
    clock: Clock


@dataclass(frozen=True)
class ProcessOutcome:
    """How processing ended. Raising instead means "failed, try again later"."""

    state: DeliveryState = DeliveryState.DONE
    result: dict[str, Any] | None = None
    reason: str | None = None

    @classmethod
    def done(cls, **result: Any) -> ProcessOutcome:
        return cls(DeliveryState.DONE, result or None)

    @classmethod
    def ignored(cls, reason: str) -> ProcessOutcome:
        return cls(DeliveryState.IGNORED, None, reason)

    @classmethod
    def needs_attention(cls, reason: str, **details: Any) -> ProcessOutcome:
        """Kept for a person to look at (bad mapping, missing consent); a replay after the fix processes it."""
        return cls(DeliveryState.NEEDS_ATTENTION, details or None, reason)


class Processor(Protocol):
    def __call__(self, delivery: Delivery, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome: ...


@dataclass(frozen=True)
class SourceSpec:
    source: Source
    verifier: Callable[[Clock], Verifier]
    processor: Processor
    content_types: tuple[str, ...] = ("application/json",)
