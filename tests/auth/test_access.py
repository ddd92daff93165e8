"""Using tokens: both header styles, expiry, revocation, and foreign seller parameters."""

from datetime import timedelta

import httpx
import pytest

from khata.auth import service as auth_service
from tests.auth.test_token import password_login
from tests.support import Clock, Database, SellerContext, suite_now

UNAUTHORIZED_MESSAGE = "Invalid or missing access token"


async def test_access_token_works_in_both_headers(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    token = (await password_login(client, seller)).json()["access_token"]
    for headers in ({"accessToken": token}, {"Authorization": f"Bearer {token}"}):
        response = await client.get("/api/v0/seller", headers=headers)
        assert response.status_code == 200, headers


async def test_api_key_works_in_both_headers(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    for headers in (
        {"accessToken": seller.token},
        {"accessToken": f"Bearer {seller.token}"},
        {"Authorization": f"bearer {seller.token}"},
    ):
        response = await client.get("/api/v0/seller", headers=headers)
        assert response.status_code == 200
        assert response.json()["payload"]["principal"]["type"] == "api"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"accessToken": ""},
        {"accessToken": "garbage"},
        {"accessToken": "CEKAAAAAAA.not-a-real-token"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
async def test_missing_or_unknown_token_is_401_in_the_ar_envelope(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v0/seller", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["response_code"] == 401
    assert body["payload"] is None
    assert body["errorResponse"]["errorType"] == "UNAUTHORIZED"
    assert body["errorResponse"]["errorMessage"] == UNAUTHORIZED_MESSAGE


async def test_access_token_expires(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    start = suite_now()
    clock.fixed = start
    token = (await password_login(client, seller)).json()["access_token"]
    clock.fixed = start + timedelta(seconds=3599)
    assert (await client.get("/api/v0/seller", headers={"accessToken": token})).status_code == 200
    clock.fixed = start + timedelta(seconds=3600)
    expired = await client.get("/api/v0/seller", headers={"accessToken": token})
    assert expired.status_code == 401
    assert expired.json()["errorResponse"]["errorMessage"] == UNAUTHORIZED_MESSAGE


async def test_revoked_tokens_stop_working(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    token = (await password_login(client, seller)).json()["access_token"]
    for the_token in (token, seller.token):
        assert (
            await client.get("/api/v0/seller", headers={"accessToken": the_token})
        ).status_code == 200
        async with database.session_factory() as session, session.begin():
            assert await auth_service.revoke_token(session, token=the_token, now=suite_now())
        revoked = await client.get("/api/v0/seller", headers={"accessToken": the_token})
        assert revoked.status_code == 401


@pytest.mark.parametrize("parameter", ["sellerId", "companyId", "parentCompanyId"])
async def test_naming_another_seller_is_403(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext, parameter: str
) -> None:
    response = await client.get(
        "/api/v0/seller", params={parameter: other_seller.seller_id}, headers=seller.headers
    )
    assert response.status_code == 403
    error = response.json()["errorResponse"]
    assert error["errorType"] == "INVALID_ACCESS"
    assert parameter in error["errorMessage"]


async def test_naming_my_own_seller_is_fine(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.get(
        "/api/v0/seller", params={"sellerId": seller.seller_id}, headers=seller.headers
    )
    assert response.status_code == 200
