"""``GET /connect/{provider}/callback``: where Google or Microsoft sends a person back after their consent.

Thin: the consent service checks the signed state (once), exchanges the code and seals the
tokens; this route shows a small page in the person's language. Neither the code, the
state nor a token is logged.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.pages import PAGE_HEADERS, message_page, render
from chalicelib.calendars.consent import complete_consent, connected_text
from chalicelib.container import get_container
from chalicelib.domain.calendars import Provider
from chalicelib.errors import LinkExpired, LinkForged, LinkUsed, MentoringError
from chalicelib.logging import begin, bind, log_event, log_warning
from chalicelib.services.links import Page

bp = Blueprint(__name__)
_STATUS_KEY = {LinkForged: "invalid", LinkExpired: "expired", LinkUsed: "used"}


def _html(page: Page, status: int) -> Response:
    return Response(body=render(page), status_code=status, headers=dict(PAGE_HEADERS))


@bp.route("/connect/{provider}/callback", methods=["GET"])
def consent_callback(provider: str) -> Response:
    begin(route="connect")
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    code, state = query.get("code"), query.get("state")
    if provider not in {p.value for p in Provider} or not state or not code or len(code) > 4096:
        # Refused or abandoned consent (``error=access_denied``) lands here too: nothing is connected.
        return _html(message_page(None, "failed"), 400)
    container = get_container()
    try:
        connection, reader = complete_consent(
            storage=container.storage,
            apis=container.calendar_apis,
            keys=container.link_keys,
            clock=container.clock,
            provider=Provider(provider),
            state=state,
            code=code,
        )
    except MentoringError as exc:
        log_warning("calendar consent failed", error_type=type(exc).__name__)
        language = exc.details.get("language") if isinstance(exc.details, dict) else None
        key = next((text for kind, text in _STATUS_KEY.items() if isinstance(exc, kind)), "failed")
        return _html(message_page(language, key), exc.status_code)
    bind(tenant_id=connection.tenant_id)
    log_event("calendar connected", connection_id=connection.connection_id, provider=provider)
    language, title, sentence = connected_text(reader)
    return _html(Page(language=language, title=title, paragraphs=(sentence,)), 200)
