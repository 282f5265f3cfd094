"""The HTTP edge of the admin API: authentication, body parsing, and error mapping, in one place.

Handlers are declared with ``api_route``. It registers the Chalice route and its
OpenAPI description, checks the content type and size, resolves the bearer key to a
tenant, validates the JSON body and query string with pydantic, calls the handler,
and turns every ``MentoringError`` into ``{"error", "message", "details"}`` JSON with
the status the error class carries. No handler builds an error response by hand.

Usage::

    @api_route(bp, "/api/v1/programmes/{programme_id}", "PATCH", body=ProgrammeUpdate, response=ProgrammeOut,
               summary="Update a programme")
    def update_programme(ctx: ApiContext, body: ProgrammeUpdate, programme_id: str) -> ProgrammeOut: ...
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.container import Container, get_container
from chalicelib.domain import json_limits
from chalicelib.domain.tenant import hash_api_key
from chalicelib.errors import (
    MentoringError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from chalicelib.logging import begin, bind, log_warning

ANY_CONTENT_TYPE = ["*/*"]
MAX_ADMIN_BODY_BYTES = 350_000
"""The largest body an admin write takes: what it stores must fit in one DynamoDB item (400 KB)."""
JSON_HEADERS: dict[str, str | list[str]] = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of one operation."""

    path: str
    method: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    authenticated: bool


@dataclass
class Registry:
    routes: list[RouteDoc] = field(default_factory=list)


REGISTRY = Registry()


@dataclass(frozen=True)
class ApiContext:
    """The tenant a request acts for and the dependencies a handler may use."""

    tenant_id: str
    key_id: str
    container: Container
    request_id: str
    base_url: str = "http://127.0.0.1:8000"


def error_response(exc: MentoringError) -> Response:
    payload = {"error": exc.code, "message": exc.message, "details": exc.details}
    return Response(body=json.dumps(payload, ensure_ascii=False), status_code=exc.status_code, headers=JSON_HEADERS)


def json_response(body: Any, status: int = 200, headers: dict[str, str | list[str]] | None = None) -> Response:
    return Response(
        body=json.dumps(_jsonable(body), ensure_ascii=False),
        status_code=status,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def parse_model(model: type[BaseModel], data: Any, *, where: str) -> BaseModel:
    """Validate ``data`` against ``model``; a failure names the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed.from_pydantic(exc, where=where) from exc


def _media_type(header: str | None) -> str:
    return (header or "application/json").split(";", 1)[0].strip().lower()


def read_json_body(raw: bytes, content_type: str | None, max_bytes: int) -> Any:
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body is over {max_bytes} bytes")
    if not raw:
        return {}
    if _media_type(content_type) != "application/json":
        raise UnsupportedMediaType("the admin API accepts application/json only")
    try:
        return json_limits.loads(raw)
    except json_limits.JsonLimitExceeded as exc:
        raise ValidationFailed(f"request body is not accepted: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("request body is not valid JSON") from exc


def authenticate(container: Container, authorization: str | None) -> tuple[str, str]:
    """Map ``Authorization: Bearer <key>`` to (tenant id, key id); anything else is 401."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send Authorization: Bearer <api key>")
    key = container.storage.tenants.key_by_hash(hash_api_key(secret.strip()))
    if key is None or not key.active:
        raise Unauthorized("unknown or revoked API key")
    return key.tenant_id, key.key_id


def api_route(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    tag: str | None = None,
    authenticated: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an admin API operation; see the module docstring."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.routes.append(
            RouteDoc(
                path=path,
                method=method.lower(),
                summary=summary,
                tag=tag or path.split("/")[3] if path.count("/") >= 3 else "api",
                body=body,
                query=query,
                response=response,
                status=status,
                authenticated=authenticated,
            )
        )

        @wraps(handler)
        def view(**path_params: str) -> Response:
            request = bp.current_request
            request_id = _request_id(request)
            begin(request_id=request_id)
            try:
                container = get_container()
                kwargs: dict[str, Any] = {name: checked_path_param(name, value) for name, value in path_params.items()}
                raw = raw_bytes(request.raw_body)
                limit = min(container.settings.max_body_bytes, MAX_ADMIN_BODY_BYTES)
                if len(raw) > limit:
                    raise PayloadTooLarge(f"request body is over {limit} bytes, more than one stored item holds")
                ctx: ApiContext | None = None
                if authenticated:
                    tenant_id, key_id = authenticate(container, request.headers.get("authorization"))
                    bind(tenant_id=tenant_id, request_id=request_id)
                    ctx = ApiContext(
                        tenant_id=tenant_id,
                        key_id=key_id,
                        container=container,
                        request_id=request_id,
                        base_url=container.settings.public_base_url or public_base_url(request),
                    )
                if body is not None:
                    data = read_json_body(raw, request.headers.get("content-type"), limit)
                    kwargs["body"] = parse_model(body, data, where="body")
                if query is not None:
                    kwargs["query"] = parse_model(query, dict(request.query_params or {}), where="query")
                result = handler(ctx, **kwargs) if ctx is not None else handler(**kwargs)
            except MentoringError as exc:
                if exc.status_code >= 500:
                    log_warning("request failed", error_type=type(exc).__name__, request_id=request_id)
                return error_response(exc)
            # The last line of defence: a bug still answers in the API's error shape, and its
            # message (which may quote personal data) stays out of the response and the logs.
            except Exception as exc:
                log_warning("request failed unexpectedly", error_type=type(exc).__name__, request_id=request_id)
                return error_response(MentoringError("something went wrong on our side; it has been logged"))
            if isinstance(result, Response):
                return result
            return json_response(result, status)

        bp.route(path, methods=[method], content_types=ANY_CONTENT_TYPE)(view)
        return handler

    return decorator


_OUR_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_THINGS = {"endpoint_id": "webhook endpoint", "key_id": "API key", "run_id": "matching run"}
# Vendors' delivery ids are free text; a DynamoDB sort key holds at most 1 KB.
_MAX_FOREIGN_ID_BYTES = 500


def checked_path_param(name: str, value: str) -> str:
    """An id from the URL, or ``NotFound``: an id we could never have issued names nothing."""
    if name == "delivery_id":
        if not value or len(value.encode("utf-8")) > _MAX_FOREIGN_ID_BYTES:
            raise NotFound("no such delivery")
    elif not _OUR_ID.fullmatch(value):
        raise NotFound(f"no such {_THINGS.get(name, name.removesuffix('_id'))}")
    return value


def public_base_url(request: Any) -> str:
    """The URL this API is reached at, so webhook URLs handed out point back at it."""
    headers = request.headers
    host = headers.get("host") or "127.0.0.1:8000"
    scheme = headers.get("x-forwarded-proto") or ("http" if host.startswith(("127.", "localhost")) else "https")
    context = getattr(request, "context", None) or {}
    # API Gateway's default host names carry the stage as the first path segment; custom domains do not.
    stage = context.get("stage") if host.endswith(".amazonaws.com") else None
    return f"{scheme}://{host}" + (f"/{stage}" if stage else "")


def raw_bytes(raw: str | bytes | None) -> bytes:
    if raw is None:
        return b""
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def _request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


__all__ = [
    "ANY_CONTENT_TYPE",
    "REGISTRY",
    "ApiContext",
    "api_route",
    "error_response",
    "json_response",
    "parse_model",
    "raw_bytes",
]
