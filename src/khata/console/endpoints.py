"""HTTP of the console's door and home: sign-in, sign-out, the dashboard, and the console's
404 page for any other path under /console (the pages are not API operations: no OpenAPI)."""

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from khata.auth import sessions
from khata.auth.errors import TooManyFailedLogins
from khata.auth.ratelimit import FailedLoginLimiter
from khata.auth.sessions import NoSession, SignInRefused
from khata.console import charts
from khata.console.dashboard import dashboard
from khata.console.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Console,
    ConsolePost,
    ConsoleRoute,
    CsrfRefused,
    PageNotFound,
    page,
    redirect,
    root_of,
    signed_in,
)
from khata.kit.ids import new_secret
from khata.kit.timeutil import local_date
from khata.web.deps import AppSettings, Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
fallback = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _safe_next(wanted: str) -> str:
    """Only a console path of this site: never another host (`//evil`) after sign-in."""
    if wanted.startswith("/console") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return "/console"


def _login_page(
    request: Request, token: str, *, next_path: str, email: str = "", problem: str = ""
) -> Response:
    status = 200 if not problem else 401
    response = page(
        request,
        "login.html.j2",
        status=status,
        next=next_path,
        email=email,
        problem=problem,
        login_csrf=token,
    )
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=f"{root_of(request)}/console",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.get("/console/login")
async def login_form(request: Request, session: Session, now: Now, next: str = "") -> Response:
    try:
        await signed_in(request, session, now)
        return redirect(request, _safe_next(next))
    except NoSession:
        pass
    token = request.cookies.get(LOGIN_COOKIE) or new_secret(16)
    return _login_page(request, token, next_path=_safe_next(next))


@router.post("/console/login")
async def login(
    request: Request,
    session: Session,
    now: Now,
    settings: AppSettings,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        raise CsrfRefused()
    limiter: FailedLoginLimiter = request.app.state.login_limiter
    try:
        console = await sessions.sign_in(
            session,
            email=email,
            password=password,
            now=now,
            limiter=limiter,
            ttl_seconds=settings.console_session_ttl_seconds,
        )
    except TooManyFailedLogins as exc:
        message = f"Too many failed sign-ins. Try again in {exc.retry_after} seconds."
        answer = _login_page(
            request, expected, next_path=_safe_next(next), email=email, problem=message
        )
        answer.status_code = 429
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    except SignInRefused as exc:
        return _login_page(
            request, expected, next_path=_safe_next(next), email=email, problem=exc.message
        )
    response = redirect(request, _safe_next(next))
    _set_cookie(
        request,
        response,
        SESSION_COOKIE,
        console.token,
        max_age=settings.console_session_ttl_seconds,
    )
    response.delete_cookie(LOGIN_COOKIE, path=f"{root_of(request)}/console")
    return response


@router.post("/console/logout")
async def logout(request: Request, session: Session, now: Now, console: ConsolePost) -> Response:
    await sessions.sign_out(session, token=console.token, now=now)
    response = redirect(request, "/console/login")
    response.delete_cookie(SESSION_COOKIE, path=f"{root_of(request)}/console")
    return response


@router.get("/console")
async def dashboard_page(
    request: Request, session: Session, now: Now, console: Console
) -> Response:
    seller = console.caller.seller
    figures = await dashboard(session, seller_id=seller.id, today=local_date(now, seller.time_zone))
    chart = charts.bar_chart(
        [charts.Bar(b.label, b.paise, late=i > 0) for i, b in enumerate(figures.buckets)],
        title=f"Aging of receivables on {figures.as_of.isoformat()}, by days past due",
    )
    return page(request, "dashboard.html.j2", nav="dashboard", figures=figures, chart=chart)


@fallback.api_route(
    "/console/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
)
async def not_found(rest: str) -> Response:
    raise PageNotFound()
