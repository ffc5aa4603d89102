"""OpenAPI 3 document built from the route table (``portal.routes``) and the pydantic models."""
from __future__ import annotations

import copy
from typing import Any, Dict, List

from portal.auth import SECURITY_SCHEMES, security
from portal.routes import Route

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
}


def document(routes: List[Route]) -> Dict[str, Any]:
    schemas: Dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: Dict[str, Any] = {}
    for route in routes:
        operation: Dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__,
            "parameters": [
                {"name": p.name, "in": p.location, "required": p.required or p.location == "path", "schema": p.schema}
                for p in route.params
            ],
            "security": security(route.roles),
            "responses": _responses(),
        }
        if route.body is not None:
            # pydantic caches the schema dict it returns: copy before taking it apart.
            schema = copy.deepcopy(route.body.schema(ref_template="#/components/schemas/{model}"))
            schemas.update(schema.pop("definitions", {}))
            schemas[route.body.__name__] = schema
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{route.body.__name__}"}}}}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "江州市政务服务门户 API (reference portal)", "version": "1.0.0"},
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "paths": paths,
    }


def _responses() -> Dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
        "400": {"description": "Bad request", **error},
        "401": {"description": "Missing or wrong API key", **error},
        "403": {"description": "This key may not call this operation, or admin operations are disabled", **error},
        "404": {"description": "Not found", **error},
        "409": {"description": "Conflict", **error},
        "422": {"description": "Invalid input", **error},
        "429": {"description": "Too many attempts", **error},
    }
