"""The API's OpenAPI document covers every route, and schemathesis fuzzes the API against it.

The fuzz runs over the app's WSGI test client (no server) with login on, as by
default, each request carrying a bearer token of the admin (``cityops token create``):
no answer is a 5xx, each answer's status, content type and body conform to the
document. Without a token every operation is a JSON 401.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from cityops.queries.kpis import KPI_NAMES, Filters
from cityops.web.openapi import document

#: Blueprint endpoints that are no operation: the JSON 404 for unknown paths.
NOT_OPERATIONS = {"api_v1.not_found"}


def _openapi_path(rule: str) -> str:
    return rule.replace("<", "{").replace(">", "}")


def test_every_blueprint_rule_is_documented(dash_app):
    rules = {
        _openapi_path(r.rule)
        for r in dash_app.server.url_map.iter_rules()
        if r.endpoint.startswith("api_v1.") and r.endpoint not in NOT_OPERATIONS
    }
    assert rules, "the API blueprint is registered"
    assert rules == set(document()["paths"])


def test_served_document_is_openapi_31_with_bearer(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearer": []}]
    paths = [r["path"] for r in client.get("/api/v1/").get_json()["routes"]]
    assert "/api/v1/openapi.json" in paths


def test_kpis_operation_derives_names_from_code():
    op = document()["paths"]["/api/v1/kpis"]["get"]
    names = [p["name"] for p in op["parameters"]]
    assert names == ["scope", "date", "from", "to", *Filters.NAMES]
    day = op["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][0]
    assert list(day["properties"]["kpis"]["properties"]) == list(KPI_NAMES)
    for status in ("400", "401", "403", "404"):
        assert op["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


@pytest.fixture(scope="module")
def api_schema(dash_app):
    """The API's own document, loaded by schemathesis over the WSGI app.

    Read from the server with a signed-in client (the document is behind the login
    like the rest of the API), then given the app to call.
    """
    from tests.conftest import signed_client

    served = signed_client(dash_app).get("/api/v1/openapi.json").get_json()
    assert served == document()
    loaded = schemathesis.openapi.from_dict(served)
    loaded.app = dash_app.server  # as from_wsgi does
    return loaded


@pytest.fixture(scope="module")
def bearer(admin_bearer) -> dict[str, str]:
    """Headers with a bearer token of the test admin (the province), plain bodies."""
    return {**admin_bearer, **PLAIN}


@pytest.fixture(scope="module")
def open_schema(dash_app):
    """The document less its security requirement (the token is sent by the test).

    Negative cases would otherwise count a request without a token as invalid data.
    """
    loaded = schemathesis.openapi.from_dict({**document(), "security": []})
    loaded.app = dash_app.server  # as from_wsgi does
    return loaded


#: The WSGI transport does not decode compressed bodies; ask for them plain.
PLAIN = {"Accept-Encoding": "identity"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

NEGATIVE_CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    content_type_conformance,
    response_schema_conformance,
]


# schemathesis.pytest.from_fixture does not run under pytest 9 (it reads the removed
# Node._nodeid), so each operation drives Hypothesis itself with the schema's strategy.
def fuzz(strategy, checks, headers) -> None:
    """Call the API with 25 cases drawn from ``strategy``, each answer held to ``checks``."""

    @given(case=strategy)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one(case) -> None:
        case.call_and_validate(checks=checks, headers=headers)

    one()


@pytest.mark.parametrize("path", sorted(document()["paths"]))
def test_api_fuzz(api_schema, bearer, path):
    """Documented requests get a documented status, content type and body, never a 5xx."""
    fuzz(api_schema[path]["GET"].as_strategy(), CHECKS, bearer)


@pytest.mark.parametrize(
    "path", sorted(p for p, item in document()["paths"].items() if item["get"]["parameters"])
)
def test_api_fuzz_invalid_parameters(open_schema, bearer, path):
    """Parameters outside the document (bad scopes, dates, types) are a 4xx, never a 5xx."""
    fuzz(open_schema[path]["GET"].as_strategy(GenerationMode.NEGATIVE), NEGATIVE_CHECKS, bearer)


@pytest.mark.parametrize(
    "path", sorted(p for p, item in document()["paths"].items() if "security" not in item["get"])
)
def test_without_a_token_every_operation_is_a_documented_401(api_schema, anonymous, path):
    """No credentials: a JSON 401 the document lists, for every operation but the probe."""
    url = path.replace("{code}", "320100")
    response = anonymous.get(url, headers=PLAIN)
    assert response.status_code == 401, (url, response.status_code)
    assert response.mimetype == "application/json"
    assert set(response.get_json()) >= {"error"}
    assert "401" in document()["paths"][path]["get"]["responses"], path


def test_the_liveness_probe_is_the_one_public_operation(anonymous):
    public = [p for p, item in document()["paths"].items() if item["get"].get("security") == []]
    assert public == ["/api/v1/health"]
    answer = anonymous.get("/api/v1/health")
    assert answer.status_code == 200 and set(answer.get_json()) == {"status", "areas"}
