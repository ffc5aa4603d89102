"""The route table's vocabulary: a route, its parameters and how a raw parameter obeys its own
OpenAPI schema. ``portal.api`` serves the table and ``portal.openapi`` documents it, from these
same declarations (one source for docs and validation)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Optional, Type

from aiohttp import web
from pydantic import BaseModel

from portal.auth import Role
from portal.errors import PortalError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query" | "path" | "header"
    schema: Dict[str, Any]
    required: bool = True


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: FrozenSet[Role]  # who may call it; PUBLIC = anyone, no key
    summary: str
    params: List[Param] = field(default_factory=list)
    body: Optional[Type[BaseModel]] = None


def coerce(name: str, raw: str, schema: Dict[str, Any]) -> Any:
    if schema["type"] == "integer":
        try:
            value: Any = int(raw)
        except ValueError:
            raise PortalError(400, "invalid_parameter", f"参数 {name} 应为整数") from None
        if not schema.get("minimum", value) <= value <= schema.get("maximum", value):
            raise PortalError(400, "invalid_parameter",
                              f"参数 {name} 应在 {schema['minimum']} 到 {schema['maximum']} 之间")
        return value
    value = raw.strip()
    if "\x00" in value:
        raise PortalError(400, "invalid_parameter", f"参数 {name} 含有非法字符")
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
        raise PortalError(400, "invalid_parameter", f"参数 {name} 长度不符合要求")
    if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
        raise PortalError(400, "invalid_parameter", f"参数 {name} 格式不正确")
    return value
