"""Helpers of the console tests: sign in over HTTP and read a page's CSRF token."""

import re

import httpx

from tests.support import SellerContext

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:2000]
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, seller: SellerContext, *, password: str | None = None
) -> httpx.Response:
    form = await client.get("/console/login")
    assert form.status_code == 200, form.text
    return await client.post(
        "/console/login",
        data={
            "email": seller.admin_email,
            "password": seller.admin_password if password is None else password,
            "csrf": csrf_of(form.text),
            "next": "/console",
        },
    )


async def signed_in_csrf(client: httpx.AsyncClient, seller: SellerContext) -> str:
    """Sign in and answer the CSRF token of the session's forms."""
    answer = await sign_in(client, seller)
    assert answer.status_code == 303, answer.text
    home = await client.get("/console")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)
