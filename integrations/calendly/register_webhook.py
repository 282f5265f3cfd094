"""Create (or re-create) mentorflow's webhook subscription in Calendly, through Calendly's API v2.

Run it on your own machine; it is not part of the deployed service. Calendly keeps a
subscription's callback URL and signing key for life (the key is write-only), and one
organisation cannot hold two subscriptions for the same URL and user. So registering
deletes any subscription already pointing at the endpoint URL and creates a new one with
the endpoint secret as its signing key: running it twice, or again after a secret
rotation, leaves exactly one. The token is read from the environment only, and neither
the token nor the secret is ever printed.

Usage::

    export CALENDLY_TOKEN=...              # personal access token (webhooks:read, webhooks:write, users:read)
    export MENTORFLOW_SECRET=...           # the secret shown once by POST /api/v1/endpoints
    python register_webhook.py --url https://api.example.org/hooks/calendly/ep_123 --secret-env MENTORFLOW_SECRET
    python register_webhook.py --url https://api.example.org/hooks/calendly/ep_123 --check

Needs Python 3.10+ and ``requests``. Webhooks need a paid Calendly plan.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

DEFAULT_API_BASE = "https://api.calendly.com"
DEFAULT_TOKEN_ENV = "CALENDLY_TOKEN"  # noqa: S105 -- the variable's name, not a credential
EVENTS = ("invitee.created", "invitee.canceled")
TIMEOUT = (5, 30)
HOOK_PATH_MARKER = "/hooks/calendly/"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_REGISTERED = 3


class CalendlyError(Exception):
    """Calendly refused the request or could not be reached; the message says what to fix."""


class Calendly:
    """The few calls of Calendly's API v2 the kit needs, with bounded waits and errors that quote no secret."""

    def __init__(self, session: requests.Session, api_base: str, token: str) -> None:
        self._session = session
        self._base = api_base.rstrip("/")
        self._token = token

    def _call(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        url = path_or_url if path_or_url.startswith("https://") else self._base + path_or_url
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            response = self._session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise CalendlyError(f"Could not reach {urlsplit(url).netloc} ({type(exc).__name__}).") from exc
        if not response.ok:
            raise CalendlyError(_explain(response))
        return response.json() if response.content else None

    def me(self) -> tuple[str, str]:
        """The token owner's user URI and organisation URI."""
        resource = (self._call("GET", "/users/me") or {}).get("resource") or {}
        return str(resource.get("uri", "")), str(resource.get("current_organization", ""))

    def subscriptions(self, organization: str, user: str, scope: str) -> list[dict[str, Any]]:
        params = {"organization": organization, "scope": scope, "count": "100"}
        if scope == "user":
            params["user"] = user
        found: list[dict[str, Any]] = []
        page: str | None = "/webhook_subscriptions"
        while page:
            body = self._call("GET", page, params=params if page.startswith("/") else None) or {}
            found.extend(item for item in body.get("collection") or [] if isinstance(item, dict))
            page = (body.get("pagination") or {}).get("next_page")
        return found

    def delete(self, subscription_uri: str) -> None:
        self._call("DELETE", subscription_uri)

    def create(self, *, url: str, organization: str, user: str, scope: str, signing_key: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": url,
            "events": list(EVENTS),
            "organization": organization,
            "scope": scope,
            "signing_key": signing_key,
        }
        if scope == "user":
            body["user"] = user
        return dict((self._call("POST", "/webhook_subscriptions", json=body) or {}).get("resource") or {})


def _explain(response: requests.Response) -> str:
    status = response.status_code
    try:
        body = response.json()
        said = f" Calendly said: {body.get('title', '')}: {body.get('message', '')}" if isinstance(body, dict) else ""
    except ValueError:
        said = ""
    hints = {
        401: "Calendly rejected the token (HTTP 401): check that it is a valid personal access token.",
        403: "Calendly refused (HTTP 403): organisation scope needs an owner or admin, and webhooks a paid plan.",
        404: "Calendly does not know that resource (HTTP 404).",
        409: "Calendly already holds a subscription for this URL (HTTP 409).",
        429: "Calendly is rate-limiting this token (HTTP 429): wait a minute and run this again.",
    }
    return hints.get(status, f"Calendly answered HTTP {status}.") + said


def register(client: Calendly, url: str, secret: str, scope: str) -> dict[str, Any]:
    """Replace every subscription of ``url`` with one signed with ``secret``; the new one, as Calendly shows it."""
    user, organization = client.me()
    for subscription in client.subscriptions(organization, user, scope):
        if subscription.get("callback_url") == url:
            client.delete(str(subscription["uri"]))
    return client.create(url=url, organization=organization, user=user, scope=scope, signing_key=secret)


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a mentorflow Calendly endpoint, or None when it looks right."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "the URL must start with https://"
    if HOOK_PATH_MARKER not in parts.path:
        return f"the URL has no {HOOK_PATH_MARKER} in its path: use the url of a calendly endpoint"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Create mentorflow's Calendly webhook subscription (idempotent).")
    parser.add_argument("--url", required=True, help="the endpoint URL (…/hooks/calendly/<endpoint id>)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="the endpoint secret (prefer --secret-env: argv is visible to others)")
    secret.add_argument("--secret-env", metavar="NAME", help="read the endpoint secret from this environment variable")
    parser.add_argument(
        "--scope",
        choices=("organization", "user"),
        default="organization",
        help="every member's bookings (organization, needs an admin) or only yours (user)",
    )
    parser.add_argument("--token-env", default=DEFAULT_TOKEN_ENV, metavar="NAME", help="where the token is")
    parser.add_argument("--api-base", default=DEFAULT_API_BASE, help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="only say whether the subscription exists and is active")
    return parser


def _run_check(client: Calendly, url: str, scope: str) -> int:
    user, organization = client.me()
    ours = [s for s in client.subscriptions(organization, user, scope) if s.get("callback_url") == url]
    if not ours:
        print("No Calendly subscription points at this URL: run this again without --check.")
        return EXIT_NOT_REGISTERED
    subscription = ours[0]
    missing = sorted(set(EVENTS) - set(subscription.get("events") or []))
    if subscription.get("state") != "active" or missing:
        print(f"The subscription needs attention (state {subscription.get('state')}, missing {missing}): register again.")
        return EXIT_NOT_REGISTERED
    print(f"The subscription is active for {', '.join(EVENTS)}.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    token = os.environ.get(args.token_env, "").strip()
    if not token:
        print(f"error: set {args.token_env} to a Calendly personal access token.", file=sys.stderr)
        return EXIT_USAGE
    problem = check_url(args.url)
    if problem:
        print(f"error: {problem}.", file=sys.stderr)
        return EXIT_USAGE
    secret = (os.environ.get(args.secret_env, "") if args.secret_env else args.secret or "").strip()
    if not args.check and not secret:
        print("error: give the endpoint secret with --secret-env NAME (or --secret).", file=sys.stderr)
        return EXIT_USAGE
    with requests.Session() as session:
        client = Calendly(session, args.api_base, token)
        try:
            if args.check:
                return _run_check(client, args.url, args.scope)
            created = register(client, args.url, secret, args.scope)
        except CalendlyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    print(f"Created Calendly subscription {created.get('uri', '?')} ({created.get('state', '?')}).")
    print("Next: book a test meeting between a pair, then GET /api/v1/programmes/<id>/pairs/<pair id>/meetings.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
