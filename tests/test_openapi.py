"""/openapi.json is a valid OpenAPI 3.1 contract, and the answers are what it says.

Every operation declares its success answer (the dialect's envelope around its payload, or a
file's media types) and its dialect's error envelope; real answers of every operation, success
and error, validate against the schema their operation declares.
"""

from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from khata.web.dialect import Dialect, dialect_for_path
from tests.support import SellerContext
from tests.wire_contract import WireContract

ERRORS = {
    Dialect.AR: ({"400", "401", "403", "404", "422", "500"}, "ArErrorEnvelope"),
    Dialect.COMMERCE: ({"400", "401", "403", "404", "409", "500"}, "CommerceErrorEnvelope"),
    Dialect.OAUTH: ({"400", "401", "500"}, "OAuthErrorPayload"),
}
SUCCESS_ENVELOPES = {
    Dialect.AR: ("ArEnvelope_",),
    Dialect.COMMERCE: ("CommerceEnvelope_", "CommerceListEnvelope_"),
    Dialect.OAUTH: ("TokenPayload", "Revoked"),
}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def ref_name(content: dict[str, Any]) -> str:
    return str(content["application/json"]["schema"].get("$ref", "")).rsplit("/", 1)[-1]


async def test_openapi_json_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)
    # FastAPI's own 422 body is answered by no route (validation failures are our 400s).
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_every_operation_declares_its_success_answer(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert len(found) >= 45
    for method, path, operation in found:
        success = {k: v for k, v in operation["responses"].items() if k.startswith("2")}
        assert len(success) == 1, (method, path, sorted(operation["responses"]))
        content = next(iter(success.values())).get("content", {})
        if path == "/healthz":
            assert ref_name(content) == "Health"
            assert ref_name(operation["responses"]["503"]["content"]) == "Unhealthy"
        elif "application/json" in content:
            prefixes = SUCCESS_ENVELOPES[dialect_for_path(path)]
            assert ref_name(content).startswith(prefixes), (method, path, content)
        elif path == "/metrics":  # the Prometheus text format
            assert set(content) == {"text/plain"}, (method, path)
        elif path.endswith("/pdf"):  # a tax invoice document
            assert set(content) == {"application/pdf"}, (method, path)
        else:  # a download: a file, not JSON
            assert {"text/csv", "application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet"} <= set(content), (method, path)  # fmt: skip


async def test_every_operation_declares_its_dialects_errors(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        if path in ("/healthz", "/metrics"):  # outside both dialects, read by machines
            continue
        statuses, envelope = ERRORS[dialect_for_path(path)]
        responses = operation["responses"]
        for status in (*statuses, "default"):
            assert ref_name(responses[status]["content"]) == envelope, (method, path, status)
        assert not {"409", "422"} & set(responses) - statuses, (method, path)


async def test_a_body_off_its_documentation_is_caught(
    client: httpx.AsyncClient, spec: dict[str, Any], seller: SellerContext
) -> None:
    """The contract check can fail: an extra key or a wrong type in a real answer is named."""
    contract = WireContract(spec)
    answer = await client.get("/api/v0/seller", headers=seller.headers)
    assert contract.problem(answer) is None
    body = answer.json()
    for changed in ({**body, "surprise": 1}, {**body, "payload": {**body["payload"], "state": 29}}):
        forged = httpx.Response(200, json=changed, request=answer.request)
        assert contract.problem(forged) is not None
