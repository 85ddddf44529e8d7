"""The OpenAPI 3 schema at /api/v1/openapi.json (issue 6): every endpoint is there with its
request and response bodies, and the schema validates against the OpenAPI 3 JSON schema
(drf-spectacular's validator)."""

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

PATHS = {
    "/api/v1/token/": {"post"},
    "/api/v1/projects/": {"get"},
    "/api/v1/projects/{code}/": {"get"},
    "/api/v1/units/": {"get"},
    "/api/v1/accounts/": {"get"},
    "/api/v1/accounts/{id}/": {"get"},
    "/api/v1/accounts/{id}/statement/": {"get"},
    "/api/v1/bills/": {"get"},
    "/api/v1/bills/{number}/": {"get"},
    "/api/v1/payments/": {"get", "post"},
    "/api/v1/dunning/preview/": {"post"},
    "/api/v1/dunning/run/": {"post"},
    "/api/v1/notices/": {"get"},
    "/api/v1/notices/{number}/": {"get"},
    "/api/v1/tasks/": {"get"},
}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/openapi.json")  # public: it documents, shows no data
    assert response.status_code == 200
    return response.json()


def ref(schema, obj):
    while "$ref" in obj:
        obj = schema["components"]["schemas"][obj["$ref"].rsplit("/", 1)[1]]
    return obj


def body_of(schema, operation, code):
    return ref(schema, operation["responses"][code]["content"]["application/json"]["schema"])


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid schema


def test_every_endpoint_is_documented_with_its_bodies_and_errors(schema):
    paths = {p: {m for m in ops if m in {"get", "post", "put", "patch", "delete"}}
             for p, ops in schema["paths"].items()}  # fmt: skip
    assert paths == PATHS
    for path, methods in PATHS.items():
        for method in methods:
            operation = schema["paths"][path][method]
            ok = next(c for c in operation["responses"] if c.startswith("2"))
            assert body_of(schema, operation, ok)["properties"], (path, method)
            if path != "/api/v1/token/":
                assert "401" in operation["responses"], (path, method)
                assert set(body_of(schema, operation, "401")["properties"]) >= {
                    "error", "message", "message_zh", "fields",
                }  # fmt: skip
            if method == "post":
                assert "requestBody" in operation, path


def test_the_lists_are_paged_by_cursor(schema):
    operation = schema["paths"]["/api/v1/accounts/"]["get"]
    assert {"cursor", "limit", "project", "q", "in_arrears", "on"} <= {
        p["name"] for p in operation["parameters"]
    }
    page = body_of(schema, operation, "200")
    assert {"next", "previous", "results"} <= set(page["properties"])


def test_the_statement_tasks_and_payment_bodies_are_described(schema):
    statement = body_of(schema, schema["paths"]["/api/v1/accounts/{id}/statement/"]["get"], "200")
    assert {"bills", "payments", "balance_by_fee_item", "aging", "credit", "balance",
            "notices", "limitation"} <= set(statement["properties"])  # fmt: skip
    tasks = body_of(schema, schema["paths"]["/api/v1/tasks/"]["get"], "200")
    assert {"handovers", "deliveries", "notices", "calls", "counts"} <= set(tasks["properties"])
    post = schema["paths"]["/api/v1/payments/"]["post"]
    request = ref(schema, post["requestBody"]["content"]["application/json"]["schema"])
    assert request["properties"]["amount"]["type"] == "string"  # amounts are strings
    assert {"amount", "paid_on"} <= set(request["required"])
    created = body_of(schema, post, "201")
    assert {"receipt_number", "allocations", "balance"} <= set(created["properties"])
    assert created["properties"]["amount"]["type"] == "string"
    assert {"403", "404"} <= set(post["responses"])
