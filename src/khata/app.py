"""Builds the FastAPI app: both dialects' routers, error handlers and request-id middleware."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from khata import __version__
from khata.auth.deps import time_zone_of_token
from khata.auth.endpoints import router as auth_router
from khata.auth.ratelimit import FailedLoginLimiter
from khata.auth.secrets import seller_of_token
from khata.bulk.endpoints import router as bulk_router
from khata.bulk.engine import settle_running_jobs
from khata.buyer.endpoints import router as buyer_router
from khata.config import Settings, get_settings
from khata.console.routes import routers as console_routers
from khata.credit.endpoints import commerce_router as commerce_credit_router
from khata.credit.endpoints import router as credit_router
from khata.customer.endpoints import router as customer_router
from khata.db import create_engine, create_session_factory, pool_turns, read_only_engine
from khata.delivery import repository as delivery_repository
from khata.delivery.endpoints import router as delivery_router
from khata.delivery.worker import embedded_worker
from khata.invoice.ar_endpoints import router as invoice_router
from khata.invoice.commerce_endpoints import router as commerce_invoice_router
from khata.invoice.document import load_tax_invoices
from khata.kit import metrics
from khata.kit.timeutil import utc_now
from khata.kit.wire import WireAnswer
from khata.order.endpoints import router as order_router
from khata.payment.endpoints import router as payment_router
from khata.reminder.endpoints import router as reminder_router
from khata.reminder.scheduler import schedule_due_work
from khata.report.endpoints import router as report_router
from khata.seller.endpoints import router as seller_router
from khata.web.answers import documented, file_download
from khata.web.handlers import RequestContextMiddleware, install_error_handlers
from khata.web.idempotency import IdempotencyMiddleware
from khata.web.logmask import install_key_masking
from khata.web.metrics import MetricsMiddleware
from khata.webhook.endpoints import router as webhook_router
from khata.webhook.sender import send_webhooks

OPENAPI_TAGS = [
    {"name": "auth", "description": "OAuth 2 token endpoint (RFC 6749)."},
    {"name": "commerce", "description": "Commerce dialect: orders and invoices from orders."},
    {"name": "customers", "description": "AR dialect (Enkash Bharat Connect 2.0): customers."},
    {"name": "reminders", "description": "AR dialect: payment reminder rules."},
    {"name": "invoices", "description": "AR dialect: invoices, collection, status changes."},
    {"name": "payments", "description": "AR dialect: payments and confirmation."},
    {"name": "bulk", "description": "AR dialect: bulk files and their reports."},
    {"name": "deliveries", "description": "AR dialect: messages sent for invoices."},
    {"name": "reports", "description": "AR dialect: aging, DSO and customer statements."},
    {"name": "webhooks", "description": "AR dialect: signed webhook endpoints and their log."},
]


class Health(WireAnswer):
    status: Literal["ok"]
    database: Literal["ok"]
    version: str


class Unhealthy(WireAnswer):
    status: Literal["unavailable"]
    database: str = Field(description="The kind of database error")


def _health_router(engine: AsyncEngine) -> APIRouter:
    """GET /healthz: is the process up, and can it reach its database."""
    router = APIRouter()

    @router.get(
        "/healthz",
        tags=["auth"],
        summary="Liveness and database reachability",
        responses={
            **documented(Health),
            503: {"model": Unhealthy, "description": "The database is unreachable"},
        },
    )
    async def healthz() -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not healthy", never a 500
            return JSONResponse(
                {"status": "unavailable", "database": type(exc).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    return router


def _metrics_router(session_factory: async_sessionmaker[AsyncSession]) -> APIRouter:
    """GET /metrics: this process's counters, and the database's global gauges."""
    router = APIRouter()

    @router.get(
        "/metrics",
        tags=["auth"],
        summary="Prometheus metrics (text format 0.0.4)",
        response_class=PlainTextResponse,
        responses=file_download("Metrics in the Prometheus text format", "text/plain"),
    )
    async def metrics_text() -> PlainTextResponse:
        now = utc_now()
        async with session_factory() as session:
            queue = await delivery_repository.queue_figures(session, now=now)
        oldest = queue.oldest_pending_at
        gauges = [
            *metrics.gauge_lines(
                "khata_deliveries",
                "Deliveries in the database, by status",
                (({"status": s}, n) for s, n in sorted(queue.by_status.items())),
            ),
            *metrics.gauge_lines(
                "khata_delivery_queue_depth", "PENDING deliveries due now", [({}, queue.due)]
            ),
            *metrics.gauge_lines(
                "khata_delivery_oldest_pending_age_seconds",
                "Age of the oldest PENDING delivery (0 when none)",
                [({}, max(0.0, (now - oldest).total_seconds()) if oldest else 0)],
            ),
        ]
        return PlainTextResponse(metrics.exposition(gauges), media_type=metrics.CONTENT_TYPE)

    return router


# FastAPI tries routes in this order, each router's in full before the next: the routers of
# the records clients read most come first (routing was an eighth of a GET's time from the
# middle of the list). No GET path of one is a path of a later one.
_API_ROUTERS = (
    invoice_router,
    customer_router,
    payment_router,
    auth_router,
    seller_router,
    order_router,
    commerce_invoice_router,
    reminder_router,
    credit_router,
    commerce_credit_router,
    bulk_router,
    delivery_router,
    buyer_router,
    report_router,
    webhook_router,
)


def _install_middleware(app: FastAPI) -> None:
    # Added last runs first: metrics see every request, the request context wraps idempotency
    # so that it has the request id.
    app.add_middleware(
        IdempotencyMiddleware, seller_of=seller_of_token, time_zone_of=time_zone_of_token
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(MetricsMiddleware)


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_engine = engine is None
    the_engine = engine or create_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (modules, models, routes) lives as long as the process: out
        # of the collector's sight, a full collection in a bulk import walks only its own rows.
        gc.freeze()
        async with embedded_worker(
            app.state.session_factory,
            settings,
            schedule=schedule_due_work,
            attach=load_tax_invoices,
            webhooks=send_webhooks,
        ):
            yield
            # uvicorn has cancelled the requests that outlived the grace period: let their
            # imports close their jobs as FAILED (and delete their uploads) before it exits.
            await settle_running_jobs(seconds=10)
        if owns_engine:
            await the_engine.dispose()

    app = FastAPI(
        title="khata",
        version=__version__,
        description="Accounts receivable for Indian B2B sellers: commerce and AR dialects.",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = the_engine
    app.state.read_engine = read_only_engine(the_engine)
    app.state.read_turns = pool_turns(the_engine)
    app.state.session_factory = create_session_factory(the_engine)
    app.state.login_limiter = FailedLoginLimiter(
        app.state.session_factory,
        burst=settings.login_failure_burst,
        window_seconds=settings.login_failure_window_seconds,
    )
    install_error_handlers(app)
    install_key_masking()
    _install_middleware(app)
    app.include_router(_health_router(the_engine))
    app.include_router(_metrics_router(app.state.session_factory))
    # The console last: its catch-all 404 page answers any /console path no route took.
    for router in (*_API_ROUTERS, *console_routers()):
        app.include_router(router)
    return app
