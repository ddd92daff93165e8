"""HTTP of the payment link: the buyer's page, its PDF, and the two forms (POST-redirect-GET).

Every answer is HTML (or the PDF), never the API's JSON, and carries headers that keep the
page out of search engines, out of frames, and its address out of other sites' Referer. The
pages are not API operations, so they stay out of /openapi.json.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from khata.buyer import service
from khata.buyer.errors import FormRefused, LinkNotFound, NothingOffered, StaleForm, TooManyActions
from khata.buyer.pages import Problem, content_security_policy, render_notice, render_page
from khata.document import pdf_file_name, render_pdf
from khata.kit.errors import KhataError
from khata.web.answers import PDF_MEDIA_TYPE, download
from khata.web.deps import AppSettings, Now, Session

router = APIRouter(include_in_schema=False)

_NOTICE_TITLES: dict[type[KhataError], str] = {
    LinkNotFound: "Link not found",
    NothingOffered: "Invoice cancelled",
    StaleForm: "Form expired",
    TooManyActions: "Too many attempts",
}


def _secured(response: Response) -> Response:
    """Headers of every answer about a payment link."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _notice(exc: KhataError) -> Response:
    title = _NOTICE_TITLES.get(type(exc), "Not possible")
    html = render_notice(title, exc.message)
    return _secured(HTMLResponse(html, status_code=exc.status))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


async def _page(
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    key: str,
    refused: tuple[Problem, int, service.PaymentForm | service.AnswerForm] | None = None,
) -> Response:
    """The page; after a refused form, with its problem and the form as the buyer typed it."""
    page = await service.load_page(session, key=key, now=now)
    token = service.form_token(settings.buyer_form_secret, key)
    problem, status, form = refused if refused else (None, 200, None)
    html = render_page(
        page,
        root=_root(request),
        token=token,
        problem=problem,
        payment_form=form if isinstance(form, service.PaymentForm) else None,
        answer_form=form if isinstance(form, service.AnswerForm) else None,
    )
    return _secured(HTMLResponse(html, status_code=status))


@router.get("/pay/{key}", name="buyer_page")
async def buyer_page(
    key: str, request: Request, session: Session, settings: AppSettings, now: Now
) -> Response:
    try:
        return await _page(request, session, settings, now, key)
    except KhataError as exc:
        return _notice(exc)


@router.get("/pay/{key}/pdf")
async def buyer_pdf(key: str, session: Session) -> Response:
    try:
        doc = await service.load_document(session, key=key)
    except KhataError as exc:
        return _notice(exc)
    content = await asyncio.to_thread(render_pdf, doc)  # pure Python: off the event loop
    return _secured(
        download(content, media_type=PDF_MEDIA_TYPE, file_name=pdf_file_name(doc.invoice_number))
    )


async def _submitted(
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    *,
    key: str,
    csrf: str,
    form_name: str,
    act: Callable[[], Awaitable[object]],
    form: service.PaymentForm | service.AnswerForm,
) -> Response:
    """A form's answer: see the page again (303) when it was taken; the page with the
    problem when the form was refused; a notice when the link offers nothing."""
    try:
        service.check_form_token(settings.buyer_form_secret, key, csrf)
        await act()
    except FormRefused as exc:
        refused = (Problem(form=form_name, message=exc.message), exc.status, form)
        try:
            return await _page(request, session, settings, now, key, refused)
        except KhataError as again:
            return _notice(again)
    except KhataError as exc:
        return _notice(exc)
    return _secured(RedirectResponse(f"{_root(request)}/pay/{key}", status_code=303))


@router.post("/pay/{key}/payment")
async def report_payment(
    key: str,
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    utr: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    paid_on: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
) -> Response:
    form = service.PaymentForm(utr=utr, amount=amount, paid_on=paid_on, mode=mode)

    async def act() -> object:
        return await service.report_payment(
            session, key=key, form=form, now=now, limit=settings.buyer_actions_per_hour
        )

    return await _submitted(
        request,
        session,
        settings,
        now,
        key=key,
        csrf=csrf,
        form_name="payment",
        act=act,
        form=form,
    )


@router.post("/pay/{key}/answer")
async def answer_invoice(
    key: str,
    request: Request,
    session: Session,
    settings: AppSettings,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    response: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = service.AnswerForm(response=response, reason=reason)

    async def act() -> object:
        return await service.answer_invoice(
            session, key=key, form=form, now=now, limit=settings.buyer_actions_per_hour
        )

    return await _submitted(
        request,
        session,
        settings,
        now,
        key=key,
        csrf=csrf,
        form_name="answer",
        act=act,
        form=form,
    )
