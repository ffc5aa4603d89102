"""Bad input: 4xx with a JSON body, never a 500; the API key is enforced when set.

The property test walks the OpenAPI document itself and throws generated parameters and
bodies (valid-looking and hostile) at every operation.
"""
from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.api import ROUTES
from portal.openapi import document

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


@pytest.mark.parametrize("path, method, spec", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
async def test_generated_requests_never_cause_a_server_error(portal, path, method, spec, sqlite_url):
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
    for case in cases:
        url, query, headers = path, {}, {}
        for param in spec["parameters"]:
            value = case["params"][param["name"]]
            if param["in"] == "path":
                url = url.replace("{%s}" % param["name"], str(value if value is not None else "x"))
            elif value is not None:
                (query if param["in"] == "query" else headers)[param["name"]] = str(value)
        if any(ord(c) < 33 or ord(c) > 126 for v in headers.values() for c in v):
            headers = {}
        kwargs = {"params": query, "headers": headers}
        if case["body"] is not None or "requestBody" in spec:
            kwargs["data"] = json.dumps(case["body"])
        response = await portal.request(method.upper(), url, **kwargs)
        assert response.status < 500, (method, url, case, await response.text())
        assert response.content_type == "application/json"
        await response.json()


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


async def test_api_key_is_required_when_set(make_portal):
    portal = await make_portal(api_key="k-123")
    assert (await portal.get("/api/v1/guides/search", params={"q": "护照"})).status == 401
    wrong = await portal.get("/api/v1/guides/search", params={"q": "护照"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await portal.get("/api/v1/guides/search", params={"q": "护照"}, headers={"Authorization": "Bearer k-123"})
    assert right.status == 200
    assert (await portal.get("/api/v1/openapi.json")).status == 200
