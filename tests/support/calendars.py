"""Google Calendar and Microsoft Graph faked at the HTTP layer, with the shapes their documentation publishes.

Each fake keeps its vendor's state (events, sync tokens, channels or subscriptions, issued
tokens) and answers through ``responses``; tests change that state and read it back. The
AWS side (KMS for sealed tokens, Secrets Manager for our app registration) is moto's.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import responses

from chalicelib.calendars.apis import CalendarApis, Http, Secrets, TokenVault
from chalicelib.clock import FixedClock
from tests.support.aws import mock_aws

BASE_URL = "https://mentorflow.example.org"
APP_REGISTRATION = {
    "google": {"client_id": "1234.apps.googleusercontent.com", "client_secret": "google-app-secret"},
    "microsoft": {
        "client_id": "6731de76-14a6-49ae-97bc-6eba6914391e",
        "client_secret": "ms-app-secret",
        "tenant": "common",
    },
}
Reply = tuple[int, dict[str, str], str]


def _json(status: int, body: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def _form(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body or "").items()}


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class TokenIssuer:
    """An OAuth token endpoint: refresh tokens it knows get access tokens; a revoked one gets ``invalid_grant``.

    JWT-bearer assertions (domain-wide delegation) are checked as Google does: RS256 signed by
    the public key of a service account registered in ``service_accounts`` (by client e-mail),
    addressed to the token endpoint, within their hour. The claims of accepted ones are kept.
    """

    prefix: str
    refresh_tokens: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)
    down: int = 0
    service_accounts: dict[str, Any] = field(default_factory=dict)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    now: Any = None

    def _assertion(self, assertion: str) -> dict[str, Any] | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header_part, claims_part, signature_part = assertion.split(".")
        header, claims = json.loads(_b64url_decode(header_part)), json.loads(_b64url_decode(claims_part))
        public_key = self.service_accounts.get(claims.get("iss"))
        if header.get("alg") != "RS256" or public_key is None:
            return None
        try:
            public_key.verify(
                _b64url_decode(signature_part),
                f"{header_part}.{claims_part}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return None
        now = int(self.now().timestamp()) if self.now is not None else claims["iat"]
        fresh = claims["iat"] <= now < claims["exp"] and claims["exp"] - claims["iat"] <= 3600
        if claims.get("aud") != "https://oauth2.googleapis.com/token" or not fresh:
            return None
        return {"header": header, **claims}

    def answer(self, request: Any) -> Reply:
        if self.down > 0:
            self.down -= 1
            return _json(503, {"error": "temporarily_unavailable"})
        form = _form(request)
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = self._assertion(form.get("assertion", ""))
            if claims is None:
                return _json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            self.assertions.append(claims)
        if form.get("grant_type") == "authorization_code":
            if form.get("code") not in self.codes or not form.get("redirect_uri", "").endswith("/callback"):
                return _json(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
            self.codes.discard(form["code"])
            refresh = f"1//{self.prefix}refresh-{len(self.refresh_tokens) + 1}"
            self.refresh_tokens.add(refresh)
            token = f"{self.prefix}{len(self.issued) + 1}"
            self.issued.append(token)
            return _json(
                200, {"access_token": token, "expires_in": 3599, "refresh_token": refresh, "token_type": "Bearer"}
            )
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") not in self.refresh_tokens:
            return _json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        token = f"{self.prefix}{len(self.issued) + 1}"
        self.issued.append(token)
        return _json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": "calendar"})

    def authorised(self, request: Any) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") in self.issued


@dataclass
class FakeGoogle:
    clock: FixedClock
    oauth: TokenIssuer = field(default_factory=lambda: TokenIssuer("ya29.fake-"))
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    changes: list[tuple[str, str]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    watch_failures: int = 0
    page_size: int = 250

    def put(self, calendar_id: str, item: dict[str, Any]) -> None:
        self.events.setdefault(calendar_id, {})[item["id"]] = item
        self.changes.append((calendar_id, item["id"]))

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback("POST", "https://oauth2.googleapis.com/token", callback=self.oauth.answer)
        api = r"https://www\.googleapis\.com/calendar/v3"
        mock.add_callback("GET", re.compile(api + r"/calendars/[^/]+/events(\?.*)?$"), callback=self._list)
        mock.add_callback("POST", re.compile(api + r"/calendars/[^/]+/events/watch$"), callback=self._watch)
        mock.add_callback("POST", re.compile(api + r"/channels/stop$"), callback=self._stop)

    def _calendar(self, request: Any) -> str:
        return unquote(urlparse(request.url).path.split("/calendars/")[1].split("/")[0])

    def _list(self, request: Any) -> Reply:
        if not self.oauth.authorised(request):
            return _json(401, {"error": {"code": 401, "errors": [{"reason": "authError"}]}})
        calendar = self._calendar(request)
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        assert query.get("singleEvents") == "true"
        token = query.get("syncToken")
        if token in self.gone:
            reason = {"domain": "calendar", "reason": "fullSyncRequired", "message": "Sync token is no longer valid."}
            return _json(410, {"error": {"code": 410, "message": "Sync token is no longer valid.", "errors": [reason]}})
        since = int(token.removeprefix("sync-")) if token else 0
        changed = list(dict.fromkeys(eid for cal, eid in self.changes[since:] if cal == calendar))
        start = int(query.get("pageToken", "0"))
        page = [self.events[calendar][eid] for eid in changed[start : start + self.page_size]]
        body: dict[str, Any] = {"kind": "calendar#events", "items": page}
        if start + self.page_size < len(changed):
            body["nextPageToken"] = str(start + self.page_size)
        else:
            body["nextSyncToken"] = f"sync-{len(self.changes)}"
        return _json(200, body)

    def _watch(self, request: Any) -> Reply:
        if self.watch_failures > 0:
            self.watch_failures -= 1
            return _json(503, {"error": {"code": 503, "errors": [{"reason": "backendError"}]}})
        body = json.loads(request.body)
        ttl = int(body.get("params", {}).get("ttl", "604800"))
        expiration = int((self.clock.now().timestamp() + ttl) * 1000)
        resource_id = "res-" + uuid.uuid4().hex[:12]
        self.channels[body["id"]] = {
            "token": body["token"],
            "address": body["address"],
            "calendar": self._calendar(request),
        }
        return _json(
            200,
            {
                "kind": "api#channel",
                "id": body["id"],
                "resourceId": resource_id,
                "resourceUri": request.url.replace("/watch", "?alt=json"),
                "token": body["token"],
                "expiration": str(expiration),
            },
        )

    def _stop(self, request: Any) -> Reply:
        self.stopped.append(json.loads(request.body)["id"])
        return 204, {}, ""


@dataclass
class FakeGraph:
    clock: FixedClock
    oauth: TokenIssuer = field(default_factory=lambda: TokenIssuer("eyJ0eXAi.fake-"))
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reauthorized: list[str] = field(default_factory=list)
    delete_failures: int = 0

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(
            "POST",
            re.compile(r"https://login\.microsoftonline\.com/[^/]+/oauth2/v2\.0/token"),
            callback=self.oauth.answer,
        )
        api = r"https://graph\.microsoft\.com/v1\.0"
        mock.add_callback(
            "GET", re.compile(api + r"/users/[^/]+/events/[^/?]+/instances(\?.*)?$"), callback=self._instances
        )
        mock.add_callback("GET", re.compile(api + r"/users/[^/]+/events/[^/?]+(\?.*)?$"), callback=self._event)
        mock.add_callback("GET", re.compile(api + r"/users/[^/]+/calendarView(\?.*)?$"), callback=self._view)
        mock.add_callback("POST", re.compile(api + r"/subscriptions$"), callback=self._subscribe)
        mock.add_callback("PATCH", re.compile(api + r"/subscriptions/[^/]+$"), callback=self._renew)
        mock.add_callback("POST", re.compile(api + r"/subscriptions/[^/]+/reauthorize$"), callback=self._reauthorize)
        mock.add_callback("DELETE", re.compile(api + r"/subscriptions/[^/]+$"), callback=self._delete)

    def _unauthorised(self, request: Any) -> Reply | None:
        if self.oauth.authorised(request):
            return None
        return _json(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})

    def _id(self, request: Any, after: str) -> str:
        return unquote(urlparse(request.url).path.split(after)[1].split("/")[0])

    def _event(self, request: Any) -> Reply:
        refused = self._unauthorised(request)
        if refused:
            return refused
        assert request.headers.get("Prefer") == 'outlook.timezone="UTC"'
        found = self.events.get(self._id(request, "/events/"))
        if found is None:
            return _json(
                404,
                {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}},
            )
        return _json(200, found)

    def _instances(self, request: Any) -> Reply:
        series = self._id(request, "/events/")
        value = [e for e in self.events.values() if e.get("seriesMasterId") == series]
        return _json(200, {"value": value})

    def _view(self, request: Any) -> Reply:
        return _json(200, {"value": [e for e in self.events.values() if e.get("type") != "seriesMaster"]})

    def _subscribe(self, request: Any) -> Reply:
        refused = self._unauthorised(request)
        if refused:
            return refused
        body = json.loads(request.body)
        subscription_id = str(uuid.uuid4())
        self.subscriptions[subscription_id] = body
        return _json(
            201,
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
                "id": subscription_id,
                **body,
            },
        )

    def _renew(self, request: Any) -> Reply:
        subscription_id = self._id(request, "/subscriptions/")
        if subscription_id not in self.subscriptions:
            return _json(404, {"error": {"code": "ResourceNotFound", "message": "The object was not found."}})
        self.subscriptions[subscription_id].update(json.loads(request.body))
        return _json(200, {"id": subscription_id, **self.subscriptions[subscription_id]})

    def _delete(self, request: Any) -> Reply:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if self.delete_failures > 0:
            self.delete_failures -= 1
            return _json(503, {"error": {"code": "serviceNotAvailable", "message": "Service unavailable."}})
        if self.subscriptions.pop(self._id(request, "/subscriptions/"), None) is None:
            return _json(404, {"error": {"code": "ResourceNotFound", "message": "The object was not found."}})
        return 204, {}, ""

    def _reauthorize(self, request: Any) -> Reply:
        self.reauthorized.append(self._id(request, "/subscriptions/"))
        return 204, {}, ""


@dataclass
class CalendarVendors:
    apis: CalendarApis
    google: FakeGoogle
    graph: FakeGraph


@contextmanager
def calendar_vendors(clock: FixedClock) -> Iterator[CalendarVendors]:
    """Google and Graph fakes, KMS and Secrets Manager on moto, and the ``CalendarApis`` wired to them."""
    with mock_aws(), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key(Description="mentorflow calendar tokens")["KeyMetadata"]["KeyId"]
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        arn = secrets.create_secret(Name="mentorflow/calendar-apps", SecretString=json.dumps(APP_REGISTRATION))["ARN"]
        google, graph = FakeGoogle(clock), FakeGraph(clock)
        google.oauth.now = clock.now
        google.install(mock)
        graph.install(mock)
        apis = CalendarApis(
            http=Http(),
            vault=TokenVault(key_id, "us-east-1", kms),
            secrets=Secrets("us-east-1", secrets),
            public_base_url=BASE_URL,
            app_secret_arn=arn,
        )
        yield CalendarVendors(apis, google, graph)


def google_event(event_id: str, start: str, end: str, *people: str, **fields: Any) -> dict[str, Any]:
    """An events.list item as Google returns it (title and description included: they must not be kept)."""
    organiser, *guests = people
    return {
        "kind": "calendar#event",
        "etag": '"3181161784712000"',
        "id": event_id,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
        "created": "2026-08-20T10:00:00.000Z",
        "updated": "2026-08-20T10:00:00.000Z",
        "summary": "Mentorski sastanak",
        "description": "Razgovor o ciljevima",
        "creator": {"email": organiser},
        "organizer": {"email": organiser},
        "start": {"dateTime": start, "timeZone": "Europe/Belgrade"},
        "end": {"dateTime": end, "timeZone": "Europe/Belgrade"},
        "iCalUID": f"{event_id}@google.com",
        "sequence": 0,
        "attendees": [{"email": organiser, "organizer": True, "responseStatus": "accepted"}]
        + [{"email": guest, "responseStatus": "needsAction"} for guest in guests],
        **fields,
    }


def graph_event(event_id: str, start: str, end: str, *people: str, **fields: Any) -> dict[str, Any]:
    """A Graph event as returned with ``Prefer: outlook.timezone="UTC"``."""
    organiser, *guests = people
    return {
        "@odata.etag": 'W/"DwAAABYAAABS/"',
        "id": event_id,
        "subject": "Mentoring",
        "isAllDay": False,
        "isCancelled": False,
        "type": "singleInstance",
        "lastModifiedDateTime": "2026-08-20T10:00:00.0000000Z",
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Organiser", "address": organiser}},
        "attendees": [
            {"type": "required", "status": {"response": "none"}, "emailAddress": {"name": g, "address": g}}
            for g in guests
        ],
        **fields,
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
