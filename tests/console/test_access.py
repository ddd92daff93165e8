"""The console's door over HTTP: sign-in with the admin's e-mail and password, the session
cookie, the throttle shared with the OAuth password grant, CSRF, sign-out, the 404 page, and
the wall between sellers."""

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from tests.console.support import csrf_of, sign_in, signed_in_csrf
from tests.invoice.ar_factories import invoice_body
from tests.robustness_support import is_console_page, served_routes
from tests.support import Clock, Database, SellerContext, create_customer, suite_now


def _cookie_header(response: httpx.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header


async def test_signing_in_opens_the_dashboard_with_a_safe_cookie(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    door = await client.get("/console")
    assert door.status_code == 303
    assert door.headers["location"].endswith("/console/login?next=/console")
    form = await client.get("/console/login")
    assert "default-src 'none'" in form.headers["content-security-policy"]
    assert '<label for="email">' in form.text and '<label for="password">' in form.text

    answer = await sign_in(client, seller)
    assert answer.status_code == 303
    cookie = _cookie_header(answer, "khata_console").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=28800" in cookie
    home = await client.get("/console")
    assert home.status_code == 200
    assert "Outstanding" in home.text and "Test Traders Pvt Ltd" in home.text
    assert "script" not in home.headers["content-security-policy"]
    assert "<script" not in home.text


async def test_a_wrong_password_is_refused_and_ten_of_them_lock_the_door(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    for _ in range(10):
        refused = await sign_in(client, seller, password="not the password")
        assert refused.status_code == 401
        assert "Wrong e-mail or password" in refused.text
    # The right password too: the e-mail used up its burst inside the window.
    throttled = await sign_in(client, seller)
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    assert (await client.get("/console")).status_code == 303


async def test_an_unknown_e_mail_is_refused_like_a_wrong_password(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    form = await client.get("/console/login")
    refused = await client.post(
        "/console/login",
        data={"email": "nobody@example.com", "password": "x", "csrf": csrf_of(form.text)},
    )
    assert refused.status_code == 401 and "Wrong e-mail or password" in refused.text


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    login = await client.post(
        "/console/login", data={"email": seller.admin_email, "password": seller.admin_password}
    )
    assert login.status_code == 403 and "security token" in login.text
    assert "content-security-policy" in login.headers
    await signed_in_csrf(client, seller)
    forged = await client.post("/console/logout", data={"csrf": "0" * 64})
    assert forged.status_code == 403 and "security token" in forged.text
    assert (await client.get("/console")).status_code == 200  # still signed in


async def test_signing_out_ends_the_session_for_good(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    csrf = await signed_in_csrf(client, seller)
    stolen = client.cookies.get("khata_console")
    out = await client.post("/console/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"].endswith("/console/login")
    assert (await client.get("/console")).status_code == 303
    # The cookie's token itself is revoked, not only forgotten by this browser.
    client.cookies.set("khata_console", stolen or "", path="/console")
    assert (await client.get("/console")).status_code == 303


async def test_a_session_expires_and_is_no_api_token(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    await signed_in_csrf(client, seller)
    token = client.cookies.get("khata_console")
    api = await client.get("/api/v0/seller", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    clock.fixed = suite_now() + timedelta(hours=8, minutes=1)
    assert (await client.get("/console")).status_code == 303


async def test_another_sellers_invoice_answers_the_consoles_404_page(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    customer_id = await create_customer(database, other_seller.seller_id)
    created = await client.post(
        "/api/v0/invoice",
        json=invoice_body(customer_id, invoiceNumber="THEIRS-1"),
        headers=other_seller.headers,
    )
    theirs = created.json()["payload"]["invoiceId"]
    await signed_in_csrf(client, seller)
    foreign = await client.get(f"/console/invoices/{theirs}")
    missing = await client.get("/console/invoices/0123456789abcdef01234567")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text
    assert "Not found" in foreign.text and "THEIRS-1" not in foreign.text
    assert "content-security-policy" in foreign.headers
    nowhere = await client.get("/console/no/such/page")
    assert nowhere.status_code == 404 and "Not found" in nowhere.text


def _console_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for method, path in served_routes(app)
        if is_console_page(path) and method in ("GET", "POST") and "{rest" not in path
    )


async def test_every_console_route_wants_a_session_and_answers_html_with_the_policy(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext
) -> None:
    routes = _console_routes(app)
    assert len(routes) >= 20
    door = {"/console/login"}
    for method, template in routes:
        path = re.sub(r"{\w+}", "0123456789abcdef01234567", template)
        answer = await client.request(method, path)
        if template in door:
            assert answer.status_code in (200, 403), (method, path)
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert "/console/login" in answer.headers["location"]
    csrf = await signed_in_csrf(client, seller)
    for method, template in routes:
        path = re.sub(r"{\w+}", "0123456789abcdef01234567", template)
        data = {"csrf": csrf} if method == "POST" and template != "/console/logout" else None
        answer = await client.request(method, path, data=data)
        assert answer.status_code < 500, (method, path, answer.text[:500])
        assert "default-src 'none'" in answer.headers["content-security-policy"], (method, path)
        assert answer.headers["cache-control"] == "no-store", (method, path)
