"""A connection's bearer token: the sealed one while it is fresh, else refreshed (and sealed again).

Personal consents refresh with their refresh token; a Microsoft organisation grant asks for
an app-only token with the client credentials kept in Secrets Manager, a Google one signs an
assertion with the service account key kept there (``calendars.delegation``). A refused refresh
(``invalid_grant``) means the consent was withdrawn: the caller revokes the connection.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.calendars import delegation
from chalicelib.calendars.apis import CalendarApis, GrantRevoked
from chalicelib.calendars.delegation import GOOGLE_TOKEN_URL
from chalicelib.clock import Clock
from chalicelib.domain.calendars import CalendarConnection, Grant, Provider
from chalicelib.errors import ProcessingFailed

MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"  # noqa: S105
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# A token this close to its expiry is refreshed first, so a slow sync does not run out mid-way.
FRESH_MARGIN = timedelta(minutes=2)


def bearer(connection: CalendarConnection, apis: CalendarApis, clock: Clock) -> str:
    """A usable access token; ``connection`` is updated in place when one is refreshed (the caller saves it).

    Raises
    ------
    GrantRevoked
        The vendor refuses the grant.
    """
    now = clock.now()
    ids = {"tenant_id": connection.tenant_id, "connection_id": connection.connection_id}
    expires = connection.token_expires_at
    if connection.access_token is not None and expires is not None and expires - FRESH_MARGIN > now:
        return apis.vault.open(connection.access_token, **ids)
    answer = _token_request(connection, apis, ids, clock)
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise ProcessingFailed("the token endpoint answered without an access token")
    connection.access_token = apis.vault.seal(token, **ids)
    lifetime = answer.get("expires_in")
    seconds = int(lifetime) if isinstance(lifetime, int | str) and str(lifetime).isdigit() else 3600
    connection.token_expires_at = now + timedelta(seconds=seconds)
    rotated = answer.get("refresh_token")
    if isinstance(rotated, str) and rotated:
        connection.refresh_token = apis.vault.seal(rotated, **ids)
    connection.updated_at = now
    return token


def _token_request(
    connection: CalendarConnection, apis: CalendarApis, ids: dict[str, str], clock: Clock
) -> dict[str, object]:
    if connection.grant is Grant.ORGANISATION:
        return _organisation_token(connection, apis, clock)
    if connection.refresh_token is None:
        raise GrantRevoked("no refresh token")
    app = apis.app_registration(connection.provider.value)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": apis.vault.open(connection.refresh_token, **ids),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    if connection.provider is Provider.GOOGLE:
        return dict(apis.http.call("POST", GOOGLE_TOKEN_URL, form=form) or {})
    form["scope"] = "offline_access Calendars.Read"
    url = MICROSOFT_TOKEN_URL.format(tenant=app.get("tenant", "common"))
    return dict(apis.http.call("POST", url, form=form) or {})


def _organisation_token(connection: CalendarConnection, apis: CalendarApis, clock: Clock) -> dict[str, object]:
    if not connection.credentials_ref:
        raise ProcessingFailed("the organisation grant names no credentials")
    grant = apis.secrets.read(connection.credentials_ref)
    if connection.provider is Provider.GOOGLE:
        # Delegation acts as the calendar's owner: a user's primary calendar id is their address.
        key = delegation.service_account_key(grant)
        form = delegation.token_form(key, subject=connection.calendar_id, now=clock.now())
        return dict(apis.http.call("POST", GOOGLE_TOKEN_URL, form=form) or {})
    form = {
        "grant_type": "client_credentials",
        "client_id": str(grant["client_id"]),
        "client_secret": str(grant["client_secret"]),
        "scope": GRAPH_SCOPE,
    }
    return dict(apis.http.call("POST", MICROSOFT_TOKEN_URL.format(tenant=grant["tenant"]), form=form) or {})
