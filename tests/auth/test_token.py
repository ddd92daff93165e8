"""POST /oauth/token: both grants, their failures, and the failed-login limit."""

import base64
from datetime import timedelta

import httpx
import pytest

from tests.support import Clock, SellerContext, suite_now


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def password_login(client: httpx.AsyncClient, seller: SellerContext) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": seller.admin_email,
            "password": seller.admin_password,
        },
        headers=basic(seller.client_id, seller.client_secret),
    )


async def test_password_grant_issues_a_working_bearer_token(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await password_login(client, seller)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    assert body["access_token"] != body["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v0/seller", headers={"accessToken": body["access_token"]})
    assert me.status_code == 200
    assert me.json()["payload"]["sellerId"] == seller.seller_id
    assert me.json()["payload"]["principal"]["type"] == "admin"


async def test_username_is_case_insensitive(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": seller.admin_email.upper(),
            "password": seller.admin_password,
        },
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 200


async def test_client_credentials_may_come_in_the_form(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": seller.admin_email,
            "password": seller.admin_password,
            "client_id": seller.client_id,
            "client_secret": seller.client_secret,
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password", "username": "x@y.z", "password": "nope"}, 400, "invalid_grant"),
        ({"grant_type": "password", "password": "nope"}, 400, "invalid_request"),
        ({"username": "x@y.z", "password": "nope"}, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "CEKAAAAAAA.nope"}, 400, "invalid_grant"),
    ],
)
async def test_grant_failures_answer_rfc6749_errors(
    client: httpx.AsyncClient, seller: SellerContext, form: dict[str, str], status: int, error: str
) -> None:
    response = await client.post(
        "/oauth/token", data=form, headers=basic(seller.client_id, seller.client_secret)
    )
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]


async def test_wrong_password_is_invalid_grant(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": seller.admin_email, "password": "wrong"},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid username or password",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
async def test_missing_or_malformed_client_auth_is_invalid_client(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "password"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_wrong_client_secret_is_invalid_client(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": seller.admin_email, "password": "x"},
        headers=basic(seller.client_id, "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_another_sellers_admin_cannot_log_in_through_my_client(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": other_seller.admin_email,
            "password": other_seller.admin_password,
        },
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_refresh_grant_rotates_the_refresh_token(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    first = (await password_login(client, seller)).json()
    refreshed = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access_token"] not in (first["access_token"], second["refresh_token"])
    ok = await client.get("/api/v0/seller", headers={"accessToken": second["access_token"]})
    assert ok.status_code == 200
    # The spent refresh token cannot be used twice.
    again = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_an_access_token_is_not_a_refresh_token(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    tokens = (await password_login(client, seller)).json()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["access_token"]},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    tokens = (await password_login(client, seller)).json()
    clock.fixed = suite_now() + timedelta(days=31)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_failed_logins_are_limited_per_client_then_recover(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    clock.fixed = suite_now()
    bad = {"grant_type": "password", "username": seller.admin_email, "password": "wrong"}
    for _ in range(10):
        response = await client.post(
            "/oauth/token", data=bad, headers=basic(seller.client_id, seller.client_secret)
        )
        assert response.status_code == 400
    limited = await password_login(client, seller)  # even the right password waits now
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) in range(1, 62)  # seconds left in the window
    clock.fixed = clock.fixed + timedelta(seconds=61)
    assert (await password_login(client, seller)).status_code == 200


async def test_revoke_endpoint_revokes_access_and_refresh_tokens(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    tokens = (await password_login(client, seller)).json()
    auth = basic(seller.client_id, seller.client_secret)
    response = await client.post(
        "/oauth/revoke", data={"token": tokens["access_token"]}, headers=auth
    )
    assert response.status_code == 200
    me = await client.get("/api/v0/seller", headers={"accessToken": tokens["access_token"]})
    assert me.status_code == 401
    await client.post("/oauth/revoke", data={"token": tokens["refresh_token"]}, headers=auth)
    refreshed = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_revoke_cannot_touch_another_sellers_token(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    response = await client.post(
        "/oauth/revoke",
        data={"token": other_seller.token},
        headers=basic(seller.client_id, seller.client_secret),
    )
    assert response.status_code == 200  # RFC 7009: no hint whether the token exists
    still = await client.get("/api/v0/seller", headers=other_seller.headers)
    assert still.status_code == 200
