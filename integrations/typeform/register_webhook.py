"""Register (or re-register) mentorflow's webhook on one Typeform form, through Typeform's Webhooks API.

Run it on your own machine; it is not part of the deployed service. Typeform keys a
webhook by form and *tag*, and ``PUT /forms/{form_id}/webhooks/{tag}`` creates or
replaces it, so running this twice, or again after a secret rotation, leaves exactly
one webhook behind. The personal access token is read from the environment only (a
command line is visible to other users of the machine and stays in shell history),
and neither the token nor the signing secret is ever printed.

Usage::

    export TYPEFORM_TOKEN=tfp_...          # scopes: webhooks:read, webhooks:write
    export MENTORFLOW_SECRET=...           # the secret shown once by POST /api/v1/endpoints
    python register_webhook.py --form-id u6nXL7 \
        --url https://api.example.org/hooks/typeform/ep_123 --secret-env MENTORFLOW_SECRET
    python register_webhook.py --form-id u6nXL7 --check

Needs Python 3.10+ and ``requests``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests

DEFAULT_API_BASE = "https://api.typeform.com"
DEFAULT_TAG = "mentorflow"
DEFAULT_TOKEN_ENV = "TYPEFORM_TOKEN"  # noqa: S105 -- the variable's name, not a credential
# (connect, read) seconds: Typeform answers in well under a second when it is healthy.
TIMEOUT = (5, 30)
HOOK_PATH_MARKER = "/hooks/typeform/"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_REGISTERED = 3


class TypeformError(Exception):
    """Typeform refused the request or could not be reached; the message says what to fix."""


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _webhooks_url(api_base: str, form_id: str, tag: str | None = None) -> str:
    url = f"{api_base.rstrip('/')}/forms/{quote(form_id, safe='')}/webhooks"
    return f"{url}/{quote(tag, safe='')}" if tag is not None else url


def _without_secret(webhook: dict[str, Any]) -> dict[str, Any]:
    """Typeform echoes the signing secret back; it must not reach a terminal or a log."""
    public = {key: value for key, value in webhook.items() if key != "secret"}
    public["signed"] = bool(webhook.get("secret"))
    return public


def _scrub(text: str, *hidden: str | None) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, "***")
    return text


def _typeform_reason(response: requests.Response) -> str:
    """Typeform's own words from an error body: ``description`` plus each ``details[].description``."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body["description"])] if body.get("description") else []
    for detail in body.get("details") or []:
        if isinstance(detail, dict) and detail.get("description"):
            field = f"{detail['field']}: " if detail.get("field") else ""
            parts.append(f"{field}{detail['description']}")
    return "; ".join(parts)


def _raise_for(response: requests.Response, *, form_id: str, token: str, secret: str | None = None) -> None:
    if response.ok:
        return
    status = response.status_code
    reason = _scrub(_typeform_reason(response), token, secret)
    said = f" Typeform said: {reason}" if reason else ""
    if status == 401:
        message = (
            "Typeform rejected the access token (HTTP 401). Check that the token variable holds a valid, "
            "unexpired personal access token."
        )
    elif status == 403:
        message = (
            "Typeform refused access (HTTP 403). The token needs the webhooks:read and webhooks:write "
            f"scopes, and its account must be able to edit form {form_id}."
        )
    elif status == 404:
        message = (
            f"Typeform has no form {form_id} for this token (HTTP 404). The form id is the part after "
            "/to/ in the form's share link, e.g. u6nXL7."
        )
    elif status in (400, 422):
        message = f"Typeform refused the webhook settings (HTTP {status})."
    elif status == 429:
        message = "Typeform is rate-limiting this token (HTTP 429). Wait a minute and run this again."
    else:
        message = f"Typeform answered HTTP {status}. Try again later."
    raise TypeformError(message + said)


def _request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        return session.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        # The exception text can quote the whole request; only its class name is kept.
        raise TypeformError(f"Could not reach {urlsplit(url).netloc} ({type(exc).__name__}).") from exc


def register(
    session: requests.Session, api_base: str, token: str, form_id: str, tag: str, url: str, secret: str
) -> dict[str, Any]:
    """Create or replace the webhook ``tag`` on ``form_id`` so that it posts signed, completed responses to ``url``.

    Returns the webhook as Typeform stored it, without its secret (``signed`` says whether one is set).

    Raises
    ------
    TypeformError
        Typeform refused the request (bad token, unknown form, invalid settings) or was unreachable.
    """
    body = {
        "url": url,
        "enabled": True,
        "secret": secret,
        "verify_ssl": True,
        # Partial responses would reach mentorflow as half-filled applications.
        "event_types": {"form_response": True},
    }
    response = _request(session, "PUT", _webhooks_url(api_base, form_id, tag), json=body, headers=_headers(token))
    _raise_for(response, form_id=form_id, token=token, secret=secret)
    try:
        stored = response.json()
    except ValueError:
        stored = {}
    return _without_secret(stored if isinstance(stored, dict) else {})


def list_webhooks(session: requests.Session, api_base: str, token: str, form_id: str) -> list[dict[str, Any]]:
    """Every webhook on ``form_id``, without secrets.

    Raises
    ------
    TypeformError
        Typeform refused the request or was unreachable.
    """
    response = _request(session, "GET", _webhooks_url(api_base, form_id), headers=_headers(token))
    _raise_for(response, form_id=form_id, token=token)
    try:
        items = response.json().get("items") or []
    except (ValueError, AttributeError):
        items = []
    return [_without_secret(item) for item in items if isinstance(item, dict)]


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a mentorflow Typeform endpoint, or None when it looks right."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "the URL must start with https:// (Typeform only delivers to HTTPS)"
    if HOOK_PATH_MARKER not in parts.path:
        return (
            f"the URL has no {HOOK_PATH_MARKER} in its path: use the url returned by POST /api/v1/endpoints "
            "for an endpoint whose source is typeform"
        )
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Register mentorflow's webhook on a Typeform form (idempotent: PUT by tag).",
    )
    parser.add_argument("--form-id", required=True, help="the form id, e.g. u6nXL7 from https://x.typeform.com/to/u6nXL7")
    parser.add_argument("--url", help="the endpoint URL from POST /api/v1/endpoints (…/hooks/typeform/<endpoint id>)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="the endpoint secret (prefer --secret-env: argv is visible to others)")
    secret.add_argument("--secret-env", metavar="NAME", help="read the endpoint secret from this environment variable")
    parser.add_argument("--tag", default=DEFAULT_TAG, help=f"the webhook's name on the form (default {DEFAULT_TAG})")
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="NAME",
        help=f"environment variable holding the Typeform personal access token (default {DEFAULT_TOKEN_ENV})",
    )
    parser.add_argument(
        "--api-base",
        default=DEFAULT_API_BASE,
        help=f"Typeform API base (default {DEFAULT_API_BASE}; https://api.eu.typeform.com for EU data-center accounts)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only list the form's webhooks and say whether ours is there"
    )
    return parser


def masked(url: str) -> str:
    """``url`` with every query value cut to four characters: other tools' webhook URLs may carry their tokens."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value[:4] + "..." if value else value) for key, value in pairs]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _describe(webhook: dict[str, Any], tag: str) -> str:
    mark = "*" if webhook.get("tag") == tag else " "
    flags = [
        "enabled" if webhook.get("enabled") else "DISABLED",
        "signed" if webhook.get("signed") else "UNSIGNED",
        "verify_ssl" if webhook.get("verify_ssl") else "no ssl check",
    ]
    return f"{mark} {webhook.get('tag', '?')}: {masked(str(webhook.get('url', '?')))} ({', '.join(flags)})"


def _run_check(session: requests.Session, args: argparse.Namespace, token: str) -> int:
    webhooks = list_webhooks(session, args.api_base, token, args.form_id)
    print(f"Webhooks on form {args.form_id}: {len(webhooks)}")
    for webhook in webhooks:
        print(_describe(webhook, args.tag))
    ours = next((w for w in webhooks if w.get("tag") == args.tag), None)
    if ours is None:
        print(f"No webhook tagged {args.tag!r}: run this again without --check to register it.")
        return EXIT_NOT_REGISTERED
    problems = []
    if args.url and ours.get("url") != args.url:
        problems.append("it points to another URL")
    if not ours.get("enabled"):
        problems.append("it is disabled (Typeform disables a webhook whose URL keeps failing)")
    if not ours.get("signed"):
        problems.append("it has no secret, so mentorflow will refuse its deliveries")
    if problems:
        print(f"Webhook {args.tag!r} needs attention: " + "; ".join(problems) + ". Register it again to fix.")
        return EXIT_NOT_REGISTERED
    print(f"Webhook {args.tag!r} is registered, enabled and signed.")
    return EXIT_OK


def _run_register(session: requests.Session, args: argparse.Namespace, token: str, secret: str) -> int:
    webhook = register(session, args.api_base, token, args.form_id, args.tag, args.url, secret)
    print(f"Registered webhook {args.tag!r} on form {args.form_id}:")
    print(_describe(webhook, args.tag))
    endpoint_id = urlsplit(args.url).path.rstrip("/").rsplit("/", 1)[-1]
    print(
        "Next: submit a test response, then check "
        f"GET /api/v1/endpoints/{endpoint_id}/deliveries for a delivery in state 'done'."
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env, "").strip()
    if not token:
        print(f"error: set {args.token_env} to a Typeform personal access token.", file=sys.stderr)
        return EXIT_USAGE
    secret = ""
    if not args.check:
        if not args.url:
            print("error: --url is required (the url returned by POST /api/v1/endpoints).", file=sys.stderr)
            return EXIT_USAGE
        problem = check_url(args.url)
        if problem:
            print(f"error: {problem}.", file=sys.stderr)
            return EXIT_USAGE
        secret = (os.environ.get(args.secret_env, "") if args.secret_env else args.secret or "").strip()
        if not secret:
            print("error: give the endpoint secret with --secret-env NAME (or --secret).", file=sys.stderr)
            return EXIT_USAGE
    with requests.Session() as session:
        try:
            if args.check:
                return _run_check(session, args, token)
            return _run_register(session, args, token, secret)
        except TypeformError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
