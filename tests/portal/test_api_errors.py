"""Bad input: 4xx with a JSON body, never a 500; keys are enforced as the route table declares.

The property test walks the OpenAPI document itself and throws generated parameters and
bodies (valid-looking and hostile) at every operation, with the keys its ``security`` names
and with every credential it must refuse.
"""
from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.api import ROUTES
from portal.openapi import document
from tests.portal.conftest import ADMIN, BOT, WRONG

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10)
PATH_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_中文", min_size=1, max_size=20)


def value_for(schema: dict) -> st.SearchStrategy:
    if schema.get("type") == "integer":
        return st.integers(min_value=-10, max_value=100) | st.just("abc")
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True) | PATH_TEXT
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.text(max_size=5)
    if schema.get("type") == "string" or "format" in schema:
        return st.text(max_size=40)
    return JSON_VALUES


def body_for(spec: dict, components: dict) -> st.SearchStrategy:
    ref = spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = components[ref].get("properties", {})
    fields = {name: value_for(_resolve(schema, components)) | JSON_VALUES for name, schema in properties.items()}
    return st.fixed_dictionaries({}, optional=fields) | JSON_VALUES


def _resolve(schema: dict, components: dict) -> dict:
    if "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        return _resolve(schema["allOf"][0], components)
    return schema


OPERATIONS = [(path, method, spec) for path, methods in document(ROUTES)["paths"].items()
              for method, spec in methods.items()]
KEYS = {"botKey": BOT, "adminKey": ADMIN}


def allowed_keys(spec: dict) -> list:
    """The credentials the operation's OpenAPI ``security`` accepts; [] = a public operation."""
    return [KEYS[name] for requirement in spec["security"] for name in requirement]


def refused_keys(spec: dict) -> list:
    """Credentials the operation must refuse: none, a wrong one, and every key it does not list."""
    allowed = allowed_keys(spec)
    if not allowed:
        return [(WRONG, 401)]
    return [({}, 401), (WRONG, 401)] + [(key, 403) for key in KEYS.values() if key not in allowed]


def generated_cases(spec: dict) -> list:
    components = document(ROUTES)["components"]["schemas"]
    params = {p["name"]: st.one_of(st.none(), value_for(p["schema"])) for p in spec["parameters"]}
    strategy = st.fixed_dictionaries({
        "params": st.fixed_dictionaries(params),
        "body": body_for(spec, components) if "requestBody" in spec else st.none(),
    })
    cases = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def collect(case: dict) -> None:
        cases.append(case)

    collect()
    return cases


def request_of(path: str, spec: dict, case: dict) -> tuple:
    url, query, headers = path, {}, {}
    for param in spec["parameters"]:
        value = case["params"][param["name"]]
        if param["in"] == "path":
            url = url.replace("{%s}" % param["name"], str(value if value is not None else "x"))
        elif value is not None:
            (query if param["in"] == "query" else headers)[param["name"]] = str(value)
    if any(ord(c) < 33 or ord(c) > 126 for v in headers.values() for c in v):
        headers = {}
    kwargs = {"params": query}
    if case["body"] is not None or "requestBody" in spec:
        kwargs["data"] = json.dumps(case["body"])
    return url, headers, kwargs


def test_every_operation_declares_who_may_call_it():
    schemes = document(ROUTES)["components"]["securitySchemes"]
    assert set(schemes) == set(KEYS) and all((s["type"], s["scheme"]) == ("http", "bearer") for s in schemes.values())
    public = {f"{m.upper()} {p}" for p, m, spec in OPERATIONS if not spec["security"]}
    assert public == {"GET /healthz", "GET /api/v1/openapi.json", "GET /api/v1/guides/search",
                      "GET /api/v1/guides/{code}", "GET /api/v1/halls", "GET /api/v1/slots"}


@pytest.mark.parametrize("path, method, spec", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
async def test_generated_requests_never_cause_a_server_error(anonymous, path, method, spec):
    """Every generated request, with each accepted key (or none, when public), and again with
    every credential the operation must refuse: never a 500; a refused one is 401/403."""
    accepted = allowed_keys(spec) or [{}]
    for n, case in enumerate(generated_cases(spec)):
        url, headers, kwargs = request_of(path, spec, case)
        key = accepted[n % len(accepted)]
        response = await anonymous.request(method.upper(), url, headers={**headers, **key}, **kwargs)
        assert response.status < 500, (method, url, case, await response.text())
        assert response.status not in (401, 403), (method, url, case, await response.text())
        assert response.content_type == "application/json"
        await response.json()
        for credential, status in refused_keys(spec):
            refused = await anonymous.request(method.upper(), url, headers={**headers, **credential}, **kwargs)
            assert refused.status == status, (method, url, credential, await refused.text())
            assert (await refused.json())["error"] in {"unauthorized", "forbidden"}


async def test_malformed_json_and_unknown_routes_get_json_errors(portal):
    response = await portal.post("/api/v1/complaints", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"] == "invalid_json"
    missing = await portal.get("/api/v1/nothing-here")
    assert missing.status == 404 and "error" in await missing.json()
    wrong_method = await portal.delete("/api/v1/guides/search")
    assert wrong_method.status == 405


async def test_oversize_body_is_refused(portal):
    response = await portal.post("/api/v1/complaints", json={"text": "长" * 100_000})
    assert response.status == 413


async def test_api_key_is_required_when_set(make_portal, as_caller):
    portal = await make_portal(api_key="k-123", headers={})
    booking_list = ("/api/v1/appointments", {"openid": "o_x"})
    assert (await portal.get(booking_list[0], params=booking_list[1])).status == 401
    wrong = await portal.get(booking_list[0], params=booking_list[1], headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await portal.get(booking_list[0], params=booking_list[1], headers={"Authorization": "Bearer k-123"})
    assert right.status == 200
    assert (await portal.get("/api/v1/openapi.json")).status == 200
    # The public catalog needs no key, but a wrong key is refused everywhere.
    assert (await portal.get("/api/v1/guides/search", params={"q": "护照"})).status == 200
    assert (await portal.get("/api/v1/guides/search", params={"q": "护照"},
                             headers={"Authorization": "Bearer nope"})).status == 401
