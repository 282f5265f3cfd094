"""The OpenAPI 3.1 document of the admin API, generated from the routes' pydantic models."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.http import REGISTRY, RouteDoc

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "Machine-readable code, e.g. invalid_request."},
        "message": {"type": "string"},
        "details": {"description": "Structured details, e.g. the fields that failed validation."},
    },
}

_ERRORS = {
    "400": "Invalid request; the message names the bad field.",
    "401": "Missing, unknown or revoked API key.",
    "404": "Not found (or another tenant's).",
    "409": "Version conflict or illegal status change.",
    "413": "Body over the limit.",
    "415": "Content type other than application/json.",
}


def _models(route: RouteDoc) -> list[type[BaseModel]]:
    found = [m for m in (route.body, route.query) if m is not None]
    if isinstance(route.response, type) and issubclass(route.response, BaseModel):
        found.append(route.response)
    return found


@lru_cache(maxsize=4)
def openapi_document(source_names: tuple[str, ...] = ()) -> dict[str, Any]:
    """The document; ``source_names`` (the registered webhook sources) are the values a new endpoint's source takes."""
    models = {m for route in REGISTRY.routes for m in _models(route)}
    ordered = sorted(models, key=lambda m: m.__name__)
    modes: list[tuple[type[BaseModel], Any]] = [(model, "validation") for model in ordered]
    _, defs = models_json_schema(modes, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    if source_names and "EndpointCreate" in schemas:
        schemas["EndpointCreate"]["properties"]["source"]["enum"] = sorted(source_names)

    paths: dict[str, dict[str, Any]] = {}
    for route in REGISTRY.routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": _operation_id(route),
            "tags": [route.tag],
            "responses": {
                str(route.status): _response(route),
                **{
                    code: {"description": text, "content": _json_ref("Error")}
                    for code, text in _ERRORS.items()
                    if route.authenticated or code in ("400", "404")
                },
            },
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", route.path)
        ]
        if route.query is not None:
            query_schema = schemas.get(route.query.__name__, {})
            for name, info in route.query.model_fields.items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": info.is_required(),
                        "schema": query_schema.get("properties", {}).get(name, {}),
                    }
                )
        if params:
            operation["parameters"] = params
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": _json_ref(route.body.__name__)}
        if route.authenticated:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(route.path, {})[route.method] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mentorflow admin API",
            "version": "1.0.0",
            "description": "Programmes, participants and webhook endpoints of one tenant.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A tenant API key."}},
        },
    }


def _json_ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _response(route: RouteDoc) -> dict[str, Any]:
    if isinstance(route.response, type) and issubclass(route.response, BaseModel):
        return {"description": "OK", "content": _json_ref(route.response.__name__)}
    return {"description": "OK", "content": {"application/json": {"schema": {}}}}


def _operation_id(route: RouteDoc) -> str:
    words = re.sub(r"[{}]", "", route.path.removeprefix("/api/v1/")).replace(".", "_").split("/")
    return route.method + "_" + "_".join(w for w in words if w)
