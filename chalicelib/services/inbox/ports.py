"""The shapes a webhook source and a feature plug into the inbox with.

A vendor contributes one ``SourceSpec``: how its requests are verified, which content
types it posts, how its secret and URL look, where its delivery id is, an optional
handshake answer, and a ``Parser`` per ``Purpose`` that reads a stored delivery into a
domain object. A feature contributes a ``Handler`` per purpose that acts on that object.
``SourceRegistry`` pairs the two; the inbox dispatches on ``(source, endpoint.purpose)``
and knows no vendor and no feature.

Parsers raise ``PayloadParseError`` (kept for a person, *needs attention*) or
``IrrelevantEvent`` (*ignored*). Handlers return a ``ProcessOutcome`` and must be
idempotent: a delivery may be handled again after a crash or a replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.webhook import Delivery, DeliveryState, Purpose, SecretStyle, WebhookEndpoint

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.batch import Unit
    from chalicelib.storage.repositories import Storage


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an incoming HTTP request a verifier may look at. Header names are lower-case."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Verifier(Protocol):
    """Checks that a request really comes from the vendor holding one of ``secrets``."""

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        """Return when the request verifies against any secret; raise ``WebhookVerificationError`` otherwise."""
        ...


@dataclass(frozen=True)
class HandshakeAnswer:
    """A reply to a vendor checking the URL before it sends anything (Microsoft Graph's ``validationToken``)."""

    body: str
    content_type: str = "text/plain"
    status: int = 200


@dataclass
class ProcessingContext:
    """Everything a handler may touch: storage, the notifier outbox and the clock.

    While a delivery is processed, ``storage`` is a unit of work (``storage.batch``): a
    handler that knows which items it will read calls ``prefetch`` with their keys first,
    and its writes are stored together with the delivery's outcome.
    """

    storage: Storage
    notifier: Notifier
    clock: Clock
    # The key of erasure tombstones' hashes; None: the local stage's (see services.erasures).
    erasure_key: bytes | None = None
    unit: Unit | None = None

    def prefetch(self, keys: Iterable[Mapping[str, str]]) -> None:
        """Read the items at ``keys`` in one request, for the repositories' ``get`` to answer from."""
        if self.unit is not None:
            self.unit.prefetch(keys)


@dataclass(frozen=True)
class ProcessOutcome:
    """How handling ended. Raising instead means "failed, try again later"."""

    state: DeliveryState = DeliveryState.DONE
    result: dict[str, Any] | None = None
    reason: str | None = None
    # The keyed hash of the person the delivery came from, when the handler read one (erasure finds it by this).
    person: str | None = None

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


class Parser(Protocol):
    """Reads a stored delivery into the domain object its purpose acts on (a ``FormSubmission`` for signups)."""

    def __call__(self, delivery: Delivery, /) -> Any: ...


class Handler(Protocol):
    """A feature acting on one parsed delivery of an endpoint."""

    def __call__(self, item: Any, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome: ...


def _no_delivery_id(_request: WebhookRequest) -> str | None:
    return None


def _no_handshake(_request: WebhookRequest) -> HandshakeAnswer | None:
    return None


@dataclass(frozen=True)
class SourceSpec:
    """Everything the inbox and the admin API need to know about one vendor.

    ``verifier`` is built per request with the clock, for schemes with a tolerance.
    ``token_parameter`` names the query parameter that carries the secret for vendors
    that sign nothing (the URL shown once holds it; a stored delivery never does).
    ``delivery_id`` reads the vendor's id of a delivery, used for idempotency; without
    one a hash of the body stands in. ``handshake`` answers a URL check, or returns None.
    ``acknowledge`` is the answer a vendor requires to count a kept delivery as received
    (Salesforce's SOAP ``Ack``), in place of the inbox's JSON receipt. ``admit`` may refuse
    a verified request with the vendor's own error answer before anything is stored (a
    Salesforce message from another organisation than the tenant connected).
    """

    name: str
    verifier: Callable[[Clock], Verifier]
    parsers: Mapping[Purpose, Parser]
    content_types: tuple[str, ...] = ("application/json",)
    secret_style: SecretStyle = SecretStyle.TOKEN
    token_parameter: str | None = None
    delivery_id: Callable[[WebhookRequest], str | None] = _no_delivery_id
    handshake: Callable[[WebhookRequest], HandshakeAnswer | None] = _no_handshake
    acknowledge: Callable[[], HandshakeAnswer] | None = None
    admit: Callable[[WebhookRequest, WebhookEndpoint, ProcessingContext], HandshakeAnswer | None] | None = None


@dataclass(frozen=True)
class SourceRegistry:
    """The sources the deployment accepts and the handlers features registered, per purpose."""

    specs: Mapping[str, SourceSpec]
    handlers: Mapping[Purpose, Handler]

    def spec(self, source: str) -> SourceSpec | None:
        return self.specs.get(source)

    def purposes(self, source: str) -> list[Purpose]:
        """The purposes an endpoint of ``source`` may have: the source parses them and a feature handles them."""
        spec = self.specs.get(source)
        if spec is None:
            return []
        return [purpose for purpose in Purpose if purpose in spec.parsers and purpose in self.handlers]

    def route(self, source: str, purpose: Purpose) -> tuple[Parser, Handler] | None:
        spec = self.specs.get(source)
        parser = spec.parsers.get(purpose) if spec is not None else None
        handler = self.handlers.get(purpose)
        return None if parser is None or handler is None else (parser, handler)

    def parsers(self, purpose: Purpose) -> dict[str, Parser]:
        """Every source's parser for ``purpose``, by source name (for dry runs of stored deliveries)."""
        return {name: spec.parsers[purpose] for name, spec in self.specs.items() if purpose in spec.parsers}
