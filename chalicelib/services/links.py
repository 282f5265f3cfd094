"""One-click links in e-mails: issue them, show what one would do, and use one once.

A feature that wants a link (approve a proposal from the coordinator digest, "we met",
answer a survey, say yes to an event) registers a ``LinkAction`` in
``chalicelib.registry.LINK_ACTIONS`` and issues links for it with ``issue_link``. The
link routes (``chalicelib.api.link_routes``) show the action's page on ``GET``, which
changes nothing, because mail scanners open every link they see; only the form's
``POST`` redeems the link and performs the action.

Redeeming records the use first, with a create-only write, so of two clicks at the same
instant one performs the action and the other is told the link was used. The action
then acts within the link's tenant and programme only: a subject looked up there that
belongs elsewhere is simply not found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.links import LinkClaims, UsedLink, new_link_id, read_link, sign_link
from chalicelib.errors import LinkForged, LinkUsed
from chalicelib.services.link_issuer import LinkIssuer, link_language

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.participant import Participant
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import LinkRequest, LinkSigner, Notifier
    from chalicelib.storage.repositories import Storage

# A used-link record outlives its link by this much, so a late second click still hears "used".
USED_RECORD_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Choice:
    """A submit button: pressing it posts ``name=value``."""

    name: str
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """A form input on a link page: a set of radio options, or a free-text box when ``options`` is empty."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class Page:
    """What a link page says, in the reader's language; the routes render it as escaped HTML."""

    language: str
    title: str
    paragraphs: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class LinkContext:
    """What a link action may touch."""

    storage: Storage
    notifier: Notifier
    clock: Clock


@dataclass(frozen=True)
class LinkAction:
    """One kind of link: the page a GET shows, and what a POST of its form does (returning the result page)."""

    name: str
    page: Callable[[LinkClaims, LinkContext], Page]
    perform: Callable[[LinkClaims, Mapping[str, str], LinkContext], Page]
    ttl: timedelta = field(default=timedelta(days=14))


def issue_link(
    *,
    keys: Sequence[bytes],
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    action: str,
    subject_id: str,
    participant_id: str | None = None,
    language: str | None = None,
    ttl: timedelta = timedelta(days=14),
) -> str:
    """A signed token for one use of ``action`` on ``subject_id``, valid for ``ttl``."""
    claims = LinkClaims(
        link_id=new_link_id(),
        tenant_id=tenant_id,
        programme_id=programme_id,
        action=action,
        subject_id=subject_id,
        participant_id=participant_id,
        language=language,
        expires_at=clock.now() + ttl,
    )
    return sign_link(claims, keys[0])


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/links/{token}"


def person_link(
    links: LinkIssuer,
    clock: Clock,
    *,
    programme: Programme,
    person: Participant,
    action: str,
    subject_id: str,
    ttl: timedelta,
) -> str:
    """The URL of a signed link about ``subject_id`` for ``person``, whose page speaks their language."""
    token = issue_link(
        keys=links.keys,
        clock=clock,
        tenant_id=programme.tenant_id,
        programme_id=programme.programme_id,
        action=action,
        subject_id=subject_id,
        participant_id=person.participant_id,
        language=link_language(person.profile.language, programme.default_language),
        ttl=ttl,
    )
    return link_url(links.base_url, token)


def link_signer(keys: Callable[[], Sequence[bytes]], clock: Clock, base_url: str) -> LinkSigner:
    """A ``Notifier``'s link maker: signed links valid until the request's moment; ``keys`` are read on first use."""

    def sign(request: LinkRequest) -> str:
        fields = asdict(request)
        ttl = fields.pop("expires_at") - clock.now()
        return link_url(base_url, issue_link(keys=keys(), clock=clock, ttl=ttl, **fields))

    return sign


def inspect_link(*, storage: Storage, keys: Sequence[bytes], clock: Clock, token: str) -> LinkClaims:
    """The claims of a link that can still be used, without using it.

    Raises
    ------
    LinkForged, LinkExpired
        The token is not ours, or its time is up.
    LinkUsed
        It was used already.
    """
    claims = read_link(token, keys, clock.now())
    if storage.used_links.get(claims.link_id) is not None:
        raise LinkUsed("this link has already been used", details={"language": claims.language})
    return claims


def redeem_link(
    *, storage: Storage, keys: Sequence[bytes], clock: Clock, token: str, action: str | None = None
) -> LinkClaims:
    """Use a link once: its claims, after recording the use.

    Raises
    ------
    LinkForged
        The token is not ours, or is for another action than ``action``.
    LinkExpired
        Its time is up.
    LinkUsed
        It was used already (also when two uses race: one of them wins).
    """
    claims = read_link(token, keys, clock.now())
    if action is not None and claims.action != action:
        raise LinkForged("this link is not valid")
    used = UsedLink(
        link_id=claims.link_id,
        tenant_id=claims.tenant_id,
        programme_id=claims.programme_id,
        action=claims.action,
        subject_id=claims.subject_id,
        used_at=clock.now(),
        expires_at=claims.expires_at + USED_RECORD_GRACE,
    )
    if not storage.used_links.add(used):
        raise LinkUsed("this link has already been used", details={"language": claims.language})
    return claims
