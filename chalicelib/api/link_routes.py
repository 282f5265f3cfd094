"""``/links/{token}``: the page a one-click link opens (GET, changes nothing) and its answer (POST, once).

Thin: read the token, let the links service check it, let the link's action say what
to show or do, render. The token is never logged: it is a capability, not an id.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib.api.http import raw_bytes
from chalicelib.api.pages import PAGE_HEADERS, message_page, render
from chalicelib.container import Container, get_container
from chalicelib.errors import LinkExpired, LinkForged, LinkUsed, MentoringError, PayloadTooLarge
from chalicelib.logging import begin, bind, log_event, log_warning
from chalicelib.services.links import LinkAction, Page, inspect_link, redeem_link

bp = Blueprint(__name__)

FORM_TYPES = ["application/x-www-form-urlencoded"]
# A page has a few buttons and at most one comment box: anything longer is not from our form.
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 50
_STATUS_KEY = {LinkForged: "invalid", LinkExpired: "expired", LinkUsed: "used"}


def _html(page: Page, status: int = 200, *, form_action: str | None = None) -> Response:
    return Response(body=render(page, form_action=form_action), status_code=status, headers=dict(PAGE_HEADERS))


def _problem(exc: MentoringError) -> Response:
    """Forged, expired or used: said in the link's language where the link is genuine enough to tell it."""
    language = exc.details.get("language") if isinstance(exc.details, dict) else None
    key = next((text for kind, text in _STATUS_KEY.items() if isinstance(exc, kind)), "failed")
    return _html(message_page(language, key), exc.status_code)


def _action(container: Container, name: str) -> LinkAction:
    action = container.link_actions.get(name)
    if action is None:
        raise LinkForged("this link is not valid")
    return action


@bp.route("/links/{token}", methods=["GET"])
def show_link(token: str) -> Response:
    begin(route="links")
    container = get_container()
    try:
        claims = inspect_link(storage=container.storage, keys=container.link_keys, clock=container.clock, token=token)
        bind(tenant_id=claims.tenant_id, action=claims.action)
        page = _action(container, claims.action).page(claims, container.links)
    except MentoringError as exc:
        return _problem(exc)
    # An empty action posts the form back to this very URL, whatever stage or domain serves it.
    return _html(page, form_action="")


@bp.route("/links/{token}", methods=["POST"], content_types=FORM_TYPES)
def answer_link(token: str) -> Response:
    begin(route="links")
    container = get_container()
    raw = raw_bytes(bp.current_request.raw_body)
    try:
        if len(raw) > MAX_FORM_BYTES:
            raise PayloadTooLarge("the answer is too long")
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS))
        # The action must exist before the link is used up: an unknown one leaves the link as it was.
        claims = inspect_link(storage=container.storage, keys=container.link_keys, clock=container.clock, token=token)
        action = _action(container, claims.action)
        redeem_link(
            storage=container.storage, keys=container.link_keys, clock=container.clock, token=token, action=action.name
        )
    except ValueError:
        # parse_qsl refuses more fields than a page of ours has.
        return _html(message_page(None, "invalid"), 400)
    except MentoringError as exc:
        return _problem(exc)
    bind(tenant_id=claims.tenant_id, action=claims.action)
    try:
        page = action.perform(claims, form, container.links)
    except MentoringError as exc:
        log_warning("link action failed", error_type=type(exc).__name__)
        return _html(message_page(claims.language, "failed"), 409 if exc.status_code < 500 else 500)
    log_event("link used")
    return _html(page)
