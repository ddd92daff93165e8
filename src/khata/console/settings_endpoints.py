"""HTTP of the console's settings: the seller profile (PATCH /api/v0/seller's update_seller)
and the API keys (created with auth's create_api_key and shown once; revoked)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from khata.auth import service as auth_service
from khata.auth.sessions import ConsoleSession
from khata.console.web import Console, ConsolePost, ConsoleRoute, page, redirect
from khata.kit.errors import KhataError
from khata.seller import service as seller_service
from khata.seller.schemas import SellerUpdate, profile_fields
from khata.web.deps import Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# Settings that always have a value: a field left blank leaves them as they are.
_KEPT_WHEN_BLANK = (
    "legalName",
    "state",
    "paymentTermsDays",
    "invoicePrefix",
    "timeZone",
    "defaultReminderTime",
)
# Settings a blank field clears.
_CLEARED_WHEN_BLANK = ("gstin", "address", "upiId", "authorisedSignatory", "invoiceFooter")
_BANK = ("accountName", "accountNumber", "ifsc", "bankName")


def _changes(form: dict[str, str]) -> dict[str, Any]:
    """The PATCH body the form means: every shown setting, as typed."""
    body: dict[str, Any] = {n: form[n] for n in _KEPT_WHEN_BLANK if form.get(n, "").strip()}
    body |= {n: form.get(n, "").strip() or None for n in _CLEARED_WHEN_BLANK}
    terms = body.get("paymentTermsDays")
    if isinstance(terms, str) and terms.strip().isdigit():
        body["paymentTermsDays"] = int(terms)
    bank = {n: form.get(f"bank_{n}", "").strip() for n in _BANK}
    body["bankAccount"] = bank if bank["accountNumber"] else None
    return body


async def _settings_page(
    request: Request,
    session: Session,
    console: ConsoleSession,
    *,
    problem: str = "",
    status: int = 200,
    new_key: str = "",
    form: dict[str, Any] | None = None,
) -> Response:
    seller = console.caller.seller
    keys = await auth_service.list_api_keys(session, seller_id=seller.id)
    return page(
        request,
        "settings.html.j2",
        nav="settings",
        status=status,
        profile=form or profile_fields(seller),
        keys=keys,
        problem=problem,
        new_key=new_key,
    )


@router.get("/console/settings")
async def settings_page(request: Request, session: Session, console: Console) -> Response:
    return await _settings_page(request, session, console)


@router.post("/console/settings")
async def save_profile(
    request: Request, session: Session, now: Now, console: ConsolePost
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    shown = {
        **{n: form.get(n, "") for n in (*_KEPT_WHEN_BLANK, *_CLEARED_WHEN_BLANK)},
        "bankAccount": {n: form.get(f"bank_{n}", "") for n in _BANK},
    }
    try:
        changes = SellerUpdate.model_validate(_changes(form))
        await seller_service.update_seller(session, caller=console.caller, changes=changes, now=now)
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return await _settings_page(
            request, session, console, problem=problem, status=400, form=shown
        )
    except KhataError as exc:  # refused before anything changed (update_seller checks first)
        return await _settings_page(
            request, session, console, problem=exc.message, status=exc.status, form=shown
        )
    return redirect(request, "/console/settings")


@router.post("/console/settings/keys")
async def create_key(
    request: Request,
    session: Session,
    now: Now,
    console: ConsolePost,
    name: Annotated[str, Form()] = "",
) -> Response:
    """The key is in this answer only (no-store): it is kept as a hash from now on."""
    label = name.strip()[:200] or "API key"
    key, _row = await auth_service.create_api_key(
        session, seller_id=console.caller.seller_id, name=label, now=now
    )
    return await _settings_page(request, session, console, new_key=key)


@router.post("/console/settings/keys/{key_id}/revoke")
async def revoke_key(
    key_id: str, request: Request, session: Session, now: Now, console: ConsolePost
) -> Response:
    await auth_service.revoke_api_key(
        session, seller_id=console.caller.seller_id, key_id=key_id, now=now
    )
    return redirect(request, "/console/settings")
