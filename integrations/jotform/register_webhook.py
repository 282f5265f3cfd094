"""Add mentorflow's webhook to one Jotform form through Jotform's API (optional: the form builder does the same).

Run it on your own machine; it is not part of the deployed service. Jotform signs
nothing, so the endpoint secret travels in the webhook URL itself (``?token=…``): that
whole URL is a credential. This tool never prints it whole, and reads the Jotform API
key from the environment only.

Jotform's API only adds and deletes webhook URLs, so the tool first lists the form's
webhooks and adds ours only when that exact URL is missing. A mentorflow URL for the
same endpoint with another token (left behind by a secret rotation) is reported, and
removed with ``--replace`` once the new one is in place.

Usage::

    export JOTFORM_API_KEY=...             # Settings → API → Create New Key, "Full Access"
    export MENTORFLOW_SECRET=...           # the secret shown once by POST /api/v1/endpoints
    python register_webhook.py --form-id 241234567890123 \
        --url https://api.example.org/hooks/jotform/ep_123 --secret-env MENTORFLOW_SECRET
    python register_webhook.py --form-id 241234567890123 --check

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

DEFAULT_API_BASE = "https://api.jotform.com"
DEFAULT_KEY_ENV = "JOTFORM_API_KEY"
TOKEN_PARAMETER = "token"  # noqa: S105 -- the query parameter's name, not a credential
HOOK_PATH_MARKER = "/hooks/jotform/"
# (connect, read) seconds.
TIMEOUT = (5, 30)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_REGISTERED = 3


class JotformError(Exception):
    """Jotform refused the request or could not be reached; the message says what to fix."""


def webhook_url(url: str, secret: str | None) -> str:
    """The URL Jotform must post to: the endpoint URL with ``token=<secret>`` in its query.

    Raises
    ------
    ValueError
        No secret was given and the URL carries none either.
    """
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != TOKEN_PARAMETER]
    token = secret or dict(parse_qsl(parts.query)).get(TOKEN_PARAMETER)
    if not token:
        raise ValueError("the URL has no token and no secret was given")
    query.append((TOKEN_PARAMETER, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def masked(url: str) -> str:
    """``url`` with every query value cut to four characters: ours holds the token, others' may hold theirs."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value[:4] + "..." if value else value) for key, value in pairs]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a mentorflow Jotform endpoint, or None when it looks right."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "the URL must start with https:// (the token in it must not travel in clear text)"
    if HOOK_PATH_MARKER not in parts.path:
        return (
            f"the URL has no {HOOK_PATH_MARKER} in its path: use the url returned by POST /api/v1/endpoints "
            "for an endpoint whose source is jotform"
        )
    return None


def _same_endpoint(left: str, right: str) -> bool:
    a, b = urlsplit(left), urlsplit(right)
    return (a.scheme, a.netloc.lower(), a.path.rstrip("/")) == (b.scheme, b.netloc.lower(), b.path.rstrip("/"))


def _webhooks_url(api_base: str, form_id: str, webhook_id: str | None = None) -> str:
    url = f"{api_base.rstrip('/')}/form/{quote(form_id, safe='')}/webhooks"
    return f"{url}/{quote(webhook_id, safe='')}" if webhook_id is not None else url


def _scrub(text: str, *hidden: str | None) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, "***")
    return text


def _content(response: requests.Response, *, form_id: str, api_key: str, secret: str | None) -> Any:
    """The ``content`` of a Jotform answer, after turning its errors into ``JotformError``.

    Jotform repeats the status as ``responseCode`` in the body, which is checked too.
    """
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("responseCode", ""))
    said_status = int(code) if code.isdigit() else None
    if response.ok and (said_status is None or 200 <= said_status < 300):
        return body.get("content")
    status = said_status if said_status is not None and said_status >= 300 else response.status_code
    reason = _scrub(str(body.get("message") or "").strip(), api_key, secret)
    said = f" Jotform said: {reason}" if reason else ""
    if status == 401:
        message = (
            "Jotform rejected the API key (HTTP 401). Check the key variable, and that the key has Full Access "
            "(Settings → API) and belongs to the form's owner."
        )
    elif status == 403:
        message = "Jotform refused access (HTTP 403). The API key needs Full Access, not Read Access."
    elif status == 404:
        message = (
            f"Jotform has no form {form_id} for this key (HTTP 404). The form id is the number at the end of the "
            "form's URL; EU Safe and HIPAA accounts need --api-base https://eu-api.jotform.com or "
            "https://hipaa-api.jotform.com."
        )
    elif status == 429:
        message = (
            "Jotform's daily API limit is used up (HTTP 429). Try again tomorrow, or add the URL in the form builder."
        )
    else:
        message = f"Jotform answered HTTP {status}."
    raise JotformError(message + said)


def _request(session: requests.Session, method: str, url: str, api_key: str, **kwargs: Any) -> requests.Response:
    headers = {"APIKEY": api_key, "Accept": "application/json"}
    try:
        return session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise JotformError(f"Could not reach {urlsplit(url).netloc} ({type(exc).__name__}).") from exc


def _as_webhooks(content: Any) -> dict[str, str]:
    """Jotform lists webhooks as ``{"0": url, "1": url}``, and an empty list as ``[]``."""
    if isinstance(content, dict):
        return {str(key): str(value) for key, value in content.items() if isinstance(value, str)}
    if isinstance(content, list):
        return {str(index): value for index, value in enumerate(content) if isinstance(value, str)}
    return {}


def list_webhooks(session: requests.Session, api_base: str, api_key: str, form_id: str) -> dict[str, str]:
    """The form's webhooks by Jotform's webhook id.

    Raises
    ------
    JotformError
        Jotform refused the request or was unreachable.
    """
    response = _request(session, "GET", _webhooks_url(api_base, form_id), api_key)
    return _as_webhooks(_content(response, form_id=form_id, api_key=api_key, secret=None))


def register(
    session: requests.Session,
    api_base: str,
    api_key: str,
    form_id: str,
    url: str,
    secret: str | None,
    *,
    replace: bool = False,
) -> dict[str, Any]:
    """Make sure ``form_id`` posts to the endpoint ``url`` with ``token=<secret>``; add the webhook only if missing.

    Returns ``{"status": "created" | "exists", "url": <masked>, "stale": [<masked>…], "removed": [<masked>…]}``:
    ``stale`` are other webhooks to the same endpoint (older tokens), removed when ``replace`` is set.

    Raises
    ------
    JotformError
        Jotform refused a request or was unreachable.
    ValueError
        Neither ``url`` nor ``secret`` carries the token.
    """
    target = webhook_url(url, secret)
    token = dict(parse_qsl(urlsplit(target).query))[TOKEN_PARAMETER]
    current = list_webhooks(session, api_base, api_key, form_id)
    status = "exists"
    if target not in current.values():
        response = _request(
            session, "POST", _webhooks_url(api_base, form_id), api_key, data={"webhookURL": target}
        )
        current = _as_webhooks(_content(response, form_id=form_id, api_key=api_key, secret=token)) or current
        status = "created"
    stale = {
        webhook_id: hook for webhook_id, hook in current.items() if hook != target and _same_endpoint(hook, target)
    }
    removed = []
    if replace:
        # Jotform's webhook ids are positions in the list: deleting from the end keeps the others valid.
        for webhook_id in sorted(stale, key=lambda key: int(key) if key.isdigit() else -1, reverse=True):
            response = _request(session, "DELETE", _webhooks_url(api_base, form_id, webhook_id), api_key)
            _content(response, form_id=form_id, api_key=api_key, secret=token)
            removed.append(masked(stale[webhook_id]))
    return {
        "status": status,
        "url": masked(target),
        "stale": [masked(hook) for hook in stale.values()],
        "removed": removed,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Add mentorflow's webhook to a Jotform form (only if missing).")
    parser.add_argument("--form-id", required=True, help="the form id: the number at the end of the form's URL")
    parser.add_argument(
        "--url", help="the endpoint URL from POST /api/v1/endpoints (…/hooks/jotform/<endpoint id>[?token=…])"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="the endpoint secret (prefer --secret-env: argv is visible to others)")
    secret.add_argument("--secret-env", metavar="NAME", help="read the endpoint secret from this environment variable")
    parser.add_argument(
        "--key-env",
        default=DEFAULT_KEY_ENV,
        metavar="NAME",
        help=f"environment variable holding the Jotform API key (default {DEFAULT_KEY_ENV})",
    )
    parser.add_argument(
        "--api-base",
        default=DEFAULT_API_BASE,
        help=f"Jotform API base (default {DEFAULT_API_BASE}; https://eu-api.jotform.com, https://hipaa-api.jotform.com)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="delete webhooks to the same endpoint that carry an older token"
    )
    parser.add_argument("--check", action="store_true", help="only list the form's webhooks, tokens masked")
    return parser


def _run_check(session: requests.Session, args: argparse.Namespace, api_key: str, target: str | None) -> int:
    webhooks = list_webhooks(session, args.api_base, api_key, args.form_id)
    print(f"Webhooks on form {args.form_id}: {len(webhooks)}")
    ours = [hook for hook in webhooks.values() if HOOK_PATH_MARKER in urlsplit(hook).path]
    for webhook_id, hook in webhooks.items():
        mark = "*" if hook in ours else " "
        print(f"{mark} [{webhook_id}] {masked(hook)}")
    if target is not None:
        if target in webhooks.values():
            print("The mentorflow webhook with this token is in place.")
            return EXIT_OK
        print("The mentorflow webhook with this token is missing: run this again without --check.")
        return EXIT_NOT_REGISTERED
    if ours:
        print("A mentorflow webhook is in place (give --url and the secret to check its token).")
        return EXIT_OK
    print("No mentorflow webhook on this form.")
    return EXIT_NOT_REGISTERED


def _run_register(session: requests.Session, args: argparse.Namespace, api_key: str, target: str) -> int:
    result = register(session, args.api_base, api_key, args.form_id, target, None, replace=args.replace)
    verb = "Added" if result["status"] == "created" else "Already in place:"
    print(f"{verb} webhook {result['url']} on form {args.form_id}.")
    for hook in result["removed"]:
        print(f"Removed the webhook with an older token: {hook}")
    left = [hook for hook in result["stale"] if hook not in result["removed"]]
    for hook in left:
        print(f"Still there, with another token: {hook} (run again with --replace once the new one works)")
    endpoint_id = urlsplit(target).path.rstrip("/").rsplit("/", 1)[-1]
    print(
        "Next: submit a test response, then check "
        f"GET /api/v1/endpoints/{endpoint_id}/deliveries for a delivery in state 'done'."
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    api_key = os.environ.get(args.key_env, "").strip()
    if not api_key:
        print(f"error: set {args.key_env} to a Jotform API key with Full Access.", file=sys.stderr)
        return EXIT_USAGE
    target: str | None = None
    if args.url:
        problem = check_url(args.url)
        if problem:
            print(f"error: {problem}.", file=sys.stderr)
            return EXIT_USAGE
        secret = (os.environ.get(args.secret_env, "") if args.secret_env else args.secret or "").strip()
        try:
            target = webhook_url(args.url, secret or None)
        except ValueError:
            print("error: the URL has no ?token=…; give the endpoint secret with --secret-env NAME.", file=sys.stderr)
            return EXIT_USAGE
    elif not args.check:
        print("error: --url is required (the url returned by POST /api/v1/endpoints).", file=sys.stderr)
        return EXIT_USAGE
    with requests.Session() as session:
        try:
            if args.check or target is None:
                return _run_check(session, args, api_key, target)
            return _run_register(session, args, api_key, target)
        except JotformError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
