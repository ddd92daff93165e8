"""The console's HTTP plumbing: the session cookie, the CSRF check, the headers of every page,
and the route class that turns an error into a console page (never the API's JSON)."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.auth import sessions
from khata.auth.sessions import ConsoleSession, NoSession
from khata.console.pages import content_security_policy, render
from khata.kit.errors import Forbidden, KhataError
from khata.web.deps import Now, Session

SESSION_COOKIE = "khata_console"
LOGIN_COOKIE = "khata_console_login"

_TITLES = {403: "Refused", 404: "Not found", 429: "Too many attempts"}


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "This form was not sent from a page of this console (its security token is missing "
            "or wrong), so nothing was done. Open the page again and resend the form."
        )


class PageNotFound(KhataError):
    status = 404

    def __init__(self) -> None:
        super().__init__("There is no such page, or nothing with that id in your account.")


def root_of(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def secured(response: Response) -> Response:
    """Headers of every console answer: our policy, no caching, no framing, no sniffing."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def redirect(request: Request, path: str) -> Response:
    """POST-redirect-GET to a console path."""
    return secured(RedirectResponse(f"{root_of(request)}{path}", status_code=303))


def _layout(request: Request) -> dict[str, Any]:
    console: ConsoleSession | None = getattr(request.state, "console", None)
    if console is None:
        return {"root": root_of(request), "who": None, "csrf": ""}
    caller = console.caller
    return {
        "root": root_of(request),
        "who": {"seller_name": caller.seller.legal_name, "name": caller.principal.name},
        "csrf": sessions.csrf_token(console.token),
    }


def page(
    request: Request, template: str, *, nav: str = "", status: int = 200, **context: Any
) -> Response:
    html = render(template, nav=nav, **_layout(request), **context)
    return secured(HTMLResponse(html, status_code=status))


def notice(request: Request, title: str, message: str, *, status: int) -> Response:
    return page(request, "notice.html.j2", title=title, message=message, status=status)


def error_page(request: Request, exc: KhataError) -> Response:
    if isinstance(exc, NoSession):
        wanted = request.url.path if request.method == "GET" else "/console"
        return redirect(request, f"/console/login?next={quote(wanted, safe='/')}")
    title = _TITLES.get(exc.status, "Not done")
    message = PageNotFound().message if exc.status == 404 else exc.message
    return notice(request, title, message, status=exc.status)


class ConsoleRoute(APIRoute):
    """Every error of a console route answers a console page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except KhataError as exc:
                return error_page(request, exc)

        return handler


async def signed_in(request: Request, session: Session, now: Now) -> ConsoleSession:
    console = await sessions.resume(session, token=request.cookies.get(SESSION_COOKIE), now=now)
    request.state.console = console
    return console


async def _check_csrf(request: Request, console: ConsoleSession) -> None:
    given = (await request.form()).get("csrf")
    if not isinstance(given, str) or not sessions.csrf_matches(console.token, given):
        raise CsrfRefused()


async def signed_in_form(
    request: Request, console: Annotated[ConsoleSession, Depends(signed_in)]
) -> ConsoleSession:
    """A signed-in POST whose form carries this session's CSRF token."""
    await _check_csrf(request, console)
    return console


async def signed_in_form_apart(request: Request, now: Now) -> ConsoleSession:
    """As `signed_in_form`, read in a transaction of its own that ends at once: for a request
    that starts work committing on its own (on SQLite a request's transaction holds the
    one writer until the answer)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        token = request.cookies.get(SESSION_COOKIE)
        console = await sessions.resume(session, token=token, now=now)
    request.state.console = console
    await _check_csrf(request, console)
    return console


Console = Annotated[ConsoleSession, Depends(signed_in)]
ConsolePost = Annotated[ConsoleSession, Depends(signed_in_form)]
ConsolePostApart = Annotated[ConsoleSession, Depends(signed_in_form_apart)]
