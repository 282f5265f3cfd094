"""A person's own consent: the connect link mailed to them, and the code Google or Microsoft sends back.

The link is the provider's consent page itself, asking for read-only calendar access; its
``state`` is a signed, expiring, single-use link token naming the pending connection, so a
callback can neither be forged nor replayed. The callback exchanges the code for tokens,
seals them with KMS on the connection and makes it due for its first watch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlencode

from chalicelib.calendars.apis import CalendarApis
from chalicelib.calendars.delegation import GOOGLE_TOKEN_URL
from chalicelib.calendars.sync import SOURCES
from chalicelib.calendars.tokens import MICROSOFT_TOKEN_URL
from chalicelib.clock import Clock
from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.links import LinkClaims
from chalicelib.domain.webhook import Purpose
from chalicelib.errors import NotFound, ProcessingFailed, ValidationFailed
from chalicelib.notify.outbox import Notifier
from chalicelib.services.links import issue_link, redeem_link
from chalicelib.storage.repositories import Storage

CONNECT_ACTION = "calendar-connect"
CONNECT_TTL = timedelta(days=7)
PROVIDER_NAMES = {Provider.GOOGLE: "Google", Provider.MICROSOFT: "Outlook"}
GOOGLE_AUTHORISE = "https://accounts.google.com/o/oauth2/v2/auth"
MICROSOFT_AUTHORISE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
MICROSOFT_SCOPE = "offline_access Calendars.Read"


def redirect_uri(apis: CalendarApis, provider: Provider) -> str:
    if not apis.public_base_url:
        raise ProcessingFailed("connect links need MENTORFLOW_PUBLIC_BASE_URL: the providers redirect to it")
    return f"{apis.public_base_url.rstrip('/')}/connect/{provider.value}/callback"


def consent_url(apis: CalendarApis, provider: Provider, *, state: str, login_hint: str) -> str:
    """The provider's consent page for read-only calendar access, coming back with ``state``."""
    app = apis.app_registration(provider.value)
    query = {
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri(apis, provider),
        "response_type": "code",
        "state": state,
        "login_hint": login_hint,
    }
    if provider is Provider.GOOGLE:
        # offline access and a consent prompt: without them Google returns no refresh token.
        query |= {
            "scope": GOOGLE_SCOPE,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        }
        return f"{GOOGLE_AUTHORISE}?{urlencode(query)}"
    query |= {"scope": MICROSOFT_SCOPE, "response_mode": "query"}
    return f"{MICROSOFT_AUTHORISE.format(tenant=app.get('tenant', 'common'))}?{urlencode(query)}"


def invite_to_connect(
    *,
    storage: Storage,
    notifier: Notifier,
    apis: CalendarApis,
    keys: Sequence[bytes],
    clock: Clock,
    tenant_id: str,
    endpoint_id: str,
    participant_id: str,
) -> CalendarConnection:
    """Make a pending connection of a participant's own calendar and mail them its consent link.

    Raises
    ------
    NotFound
        No such endpoint or participant for this tenant.
    ValidationFailed
        The endpoint is no calendar meetings endpoint.
    """
    endpoint = storage.endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound("no such webhook endpoint")
    provider = next((p for p, source in SOURCES.items() if source == endpoint.source), None)
    if provider is None or endpoint.purpose is not Purpose.MEETINGS:
        raise ValidationFailed("connect links need a meetings endpoint of source google-calendar or msgraph")
    person = storage.participants.get(tenant_id, endpoint.programme_id, participant_id)
    if person is None:
        raise NotFound("no such participant")
    programme = storage.programmes.get(tenant_id, endpoint.programme_id)
    now = clock.now()
    connection = storage.calendars.save(
        CalendarConnection(
            tenant_id=tenant_id,
            programme_id=endpoint.programme_id,
            endpoint_id=endpoint_id,
            provider=provider,
            grant=Grant.PERSONAL,
            calendar_id=person.email,
            participant_id=participant_id,
            created_at=now,
            updated_at=now,
            # A consent never given leaves nothing behind.
            expires_at=now + CONNECT_TTL + timedelta(days=1),
        )
    )
    state = issue_link(
        keys=keys,
        clock=clock,
        tenant_id=tenant_id,
        programme_id=endpoint.programme_id,
        action=CONNECT_ACTION,
        subject_id=connection.connection_id,
        participant_id=participant_id,
        language=person.profile.language or (programme.default_language if programme else None),
        ttl=CONNECT_TTL,
    )
    notifier.queue(
        tenant_id=tenant_id,
        recipient=person,
        programme=programme,
        template="calendar_connect",
        context={
            "connect_url": consent_url(apis, provider, state=state, login_hint=person.email),
            "provider_name": PROVIDER_NAMES[provider],
            "valid_days": CONNECT_TTL.days,
        },
        idempotency_key=f"calendar-connect:{connection.connection_id}",
    )
    return connection


def complete_consent(
    *,
    storage: Storage,
    apis: CalendarApis,
    keys: Sequence[bytes],
    clock: Clock,
    provider: Provider,
    state: str,
    code: str,
) -> tuple[CalendarConnection, str | None]:
    """Exchange the code the provider sent back, once, and seal the tokens on the pending connection.

    Returns the connection and the language the person reads (for the page they see).

    Raises
    ------
    LinkForged, LinkExpired, LinkUsed
        The state is not ours, is too old, or was used.
    NotFound
        The connection is gone, or is for another provider.
    """
    claims: LinkClaims = redeem_link(storage=storage, keys=keys, clock=clock, token=state, action=CONNECT_ACTION)
    connection = storage.calendars.get(claims.tenant_id, claims.subject_id)
    if connection is None or connection.provider is not provider or connection.state is ConnectionState.REVOKED:
        raise NotFound("no such calendar connection")
    app = apis.app_registration(provider.value)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(apis, provider),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    tenant = app.get("tenant", "common")
    url = GOOGLE_TOKEN_URL if provider is Provider.GOOGLE else MICROSOFT_TOKEN_URL.format(tenant=tenant)
    answer = apis.http.call("POST", url, form=form) or {}
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise ProcessingFailed("the provider gave no refresh token: consent for offline access is missing")
    now = clock.now()
    ids = {"tenant_id": connection.tenant_id, "connection_id": connection.connection_id}
    connection.access_token = apis.vault.seal(access, **ids)
    connection.refresh_token = apis.vault.seal(refresh, **ids)
    lifetime = answer.get("expires_in")
    connection.token_expires_at = now + timedelta(seconds=int(lifetime) if isinstance(lifetime, int) else 3600)
    connection.state = ConnectionState.ACTIVE
    connection.renew_at = now
    connection.expires_at = None
    connection.updated_at = now
    return storage.calendars.save(connection), claims.language


CONNECTED_TEXTS = {
    "en": (
        "Your calendar is connected",
        "Meetings with your mentoring partner will now appear in the log by themselves.",
    ),
    "sr": ("Vaš kalendar je povezan", "Sastanci sa vašim mentorskim parom od sada se sami upisuju u evidenciju."),
    "lt": ("Jūsų kalendorius prijungtas", "Susitikimai su jūsų mentorystės partneriu dabar patys atsiras žurnale."),
    "sl": ("Vaš koledar je povezan", "Srečanja z vašim mentorskim parom se bodo odslej sama vpisovala v dnevnik."),
    "da": ("Din kalender er forbundet", "Møder med din mentorpartner kommer nu selv med i loggen."),
}


def connected_text(language: str | None) -> tuple[str, str, str]:
    """(language, title, sentence) of the page a person sees once their calendar is connected."""
    known = language if language in CONNECTED_TEXTS else "en"
    title, sentence = CONNECTED_TEXTS[known]
    return known, title, sentence
