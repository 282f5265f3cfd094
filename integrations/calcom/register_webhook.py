"""Create (or re-create) mentorflow's webhook in Cal.com, through Cal.com's API v2.

Run it on your own machine; it is not part of the deployed service. Cal.com does not show
a webhook's secret again, so registering deletes any webhook of yours already pointing at
the endpoint URL and creates one with the endpoint secret: running it twice, or again
after a secret rotation, leaves exactly one. The API key is read from the environment
only, and neither the key nor the secret is ever printed.

Usage::

    export CALCOM_API_KEY=cal_...          # Cal.com: Settings → Developer → API keys
    export MENTORFLOW_SECRET=...           # the secret shown once by POST /api/v1/endpoints
    python register_webhook.py --url https://api.example.org/hooks/calcom/ep_123 --secret-env MENTORFLOW_SECRET
    python register_webhook.py --url https://api.example.org/hooks/calcom/ep_123 --check

Needs Python 3.10+ and ``requests``. ``--api-base`` points at a self-hosted Cal.com.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

DEFAULT_API_BASE = "https://api.cal.com"
DEFAULT_KEY_ENV = "CALCOM_API_KEY"
TRIGGERS = ("BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED", "MEETING_ENDED")
TIMEOUT = (5, 30)
HOOK_PATH_MARKER = "/hooks/calcom/"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_REGISTERED = 3


class CalcomError(Exception):
    """Cal.com refused the request or could not be reached; the message says what to fix."""


class Calcom:
    """The webhook calls of Cal.com's API v2, with bounded waits and errors that quote no secret."""

    def __init__(self, session: requests.Session, api_base: str, api_key: str) -> None:
        self._session = session
        self._base = api_base.rstrip("/")
        self._key = api_key

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        url = self._base + path
        try:
            response = self._session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise CalcomError(f"Could not reach {urlsplit(url).netloc} ({type(exc).__name__}).") from exc
        if not response.ok:
            raise CalcomError(_explain(response))
        return response.json() if response.content else None

    def webhooks(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        skip = 0
        while True:
            data = (self._call("GET", "/v2/webhooks", params={"take": 100, "skip": skip}) or {}).get("data") or []
            found.extend(item for item in data if isinstance(item, dict))
            if len(data) < 100:
                return found
            skip += len(data)

    def delete(self, webhook_id: str) -> None:
        self._call("DELETE", f"/v2/webhooks/{quote(webhook_id, safe='')}")

    def create(self, *, url: str, secret: str) -> dict[str, Any]:
        body = {"subscriberUrl": url, "triggers": list(TRIGGERS), "active": True, "secret": secret}
        return dict((self._call("POST", "/v2/webhooks", json=body) or {}).get("data") or {})


def _explain(response: requests.Response) -> str:
    status = response.status_code
    hints = {
        401: "Cal.com rejected the API key (HTTP 401): check that it is a valid key starting with cal_.",
        403: "Cal.com refused (HTTP 403): the key cannot manage webhooks.",
        429: "Cal.com is rate-limiting this key (HTTP 429): wait a minute and run this again.",
    }
    return hints.get(status, f"Cal.com answered HTTP {status}.")


def register(client: Calcom, url: str, secret: str) -> dict[str, Any]:
    """Replace every webhook of ``url`` with one signed with ``secret``; the new one, as Cal.com shows it."""
    for webhook in client.webhooks():
        if webhook.get("subscriberUrl") == url:
            client.delete(str(webhook["id"]))
    created = client.create(url=url, secret=secret)
    created.pop("secret", None)
    return created


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a mentorflow Cal.com endpoint, or None when it looks right."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "the URL must start with https://"
    if HOOK_PATH_MARKER not in parts.path:
        return f"the URL has no {HOOK_PATH_MARKER} in its path: use the url of a calcom endpoint"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Create mentorflow's Cal.com webhook (idempotent).")
    parser.add_argument("--url", required=True, help="the endpoint URL (…/hooks/calcom/<endpoint id>)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="the endpoint secret (prefer --secret-env: argv is visible to others)")
    secret.add_argument("--secret-env", metavar="NAME", help="read the endpoint secret from this environment variable")
    parser.add_argument("--key-env", default=DEFAULT_KEY_ENV, metavar="NAME", help="where the API key is")
    parser.add_argument("--api-base", default=DEFAULT_API_BASE, help="Cal.com API base (a self-hosted instance)")
    parser.add_argument("--check", action="store_true", help="only say whether the webhook exists and is active")
    return parser


def _run_check(client: Calcom, url: str) -> int:
    ours = [w for w in client.webhooks() if w.get("subscriberUrl") == url]
    if not ours:
        print("No Cal.com webhook points at this URL: run this again without --check.")
        return EXIT_NOT_REGISTERED
    missing = sorted(set(TRIGGERS) - set(ours[0].get("triggers") or []))
    if not ours[0].get("active") or missing:
        print(f"The webhook needs attention (active: {ours[0].get('active')}, missing {missing}): register again.")
        return EXIT_NOT_REGISTERED
    print(f"The webhook is active for {', '.join(TRIGGERS)}.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    key = os.environ.get(args.key_env, "").strip()
    if not key:
        print(f"error: set {args.key_env} to a Cal.com API key.", file=sys.stderr)
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
        client = Calcom(session, args.api_base, key)
        try:
            if args.check:
                return _run_check(client, args.url)
            created = register(client, args.url, secret)
        except CalcomError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    print(f"Created Cal.com webhook {created.get('id', '?')} (active: {created.get('active')}).")
    print("Next: book a test meeting between a pair, then GET /api/v1/programmes/<id>/pairs/<pair id>/meetings.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
