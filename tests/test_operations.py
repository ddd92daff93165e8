"""Operable: GET /metrics in the Prometheus text format, the failed-login throttle shared by
every app on one database, and JSON log lines carrying the request id."""

import io
import json
import logging
import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from khata.app import create_app
from khata.config import Settings
from khata.delivery import outbox
from khata.kit.timeutil import utc_now
from khata.web.clock import get_now
from khata.web.logs import JsonFormatter
from tests.delivery.factories import create_invoice
from tests.support import (
    PINNED_TODAY,
    Clock,
    Database,
    SellerContext,
    create_customer,
    suite_now,
)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = "^" + re.escape(name + ("{" + wanted + "}" if labels else "")) + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_metrics_count_requests_by_route_template_and_read_the_queue(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="M-1", due_date=PINNED_TODAY
    )
    queued_at = utc_now() - timedelta(minutes=5)  # the gauge reads the wall clock, as Prometheus
    async with database.session_factory() as session, session.begin():
        await outbox.queue(
            session,
            seller_id=seller.seller_id,
            messages=[
                outbox.OutgoingMessage(
                    kind=outbox.DISPATCH,
                    channel=outbox.EMAIL,
                    recipient="metrics@buyer.example",
                    dedupe_key=f"metrics:{seller.seller_id}",
                    invoice_ids=[invoice.id],
                    customer_id=customer_id,
                )
            ],
            now=queued_at,
        )
    before = (await client.get("/metrics")).text
    for job_id in ("no-such-job-1", "no-such-job-2"):
        missing = await client.get(f"/api/v0/bulk/{job_id}", headers=seller.headers)
        assert missing.status_code == 404

    answer = await client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = answer.text
    route = {"method": "GET", "route": "/api/v0/bulk/{jobId}"}
    counted = _sample(text, "khata_http_requests_total", **route, status="404")
    assert counted - _sample(before, "khata_http_requests_total", **route, status="404") == 2
    assert "no-such-job" not in text  # the template, never the concrete path
    assert _sample(text, "khata_http_request_duration_seconds_count", **route) >= 2
    assert _sample(text, "khata_http_request_duration_seconds_bucket", **route, le="+Inf") >= 2
    assert "# TYPE khata_http_request_duration_seconds histogram" in text
    assert _sample(text, "khata_deliveries", status="PENDING") >= 1
    assert _sample(text, "khata_delivery_queue_depth") >= 1
    assert _sample(text, "khata_delivery_oldest_pending_age_seconds") >= 300


def _second_app(database: Database, clock: Clock) -> FastAPI:
    app = create_app(
        Settings(database_url=database.url, public_base_url="http://test"), engine=database.engine
    )
    app.dependency_overrides[get_now] = clock.now
    return app


async def test_failed_logins_count_across_apps_on_one_database(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    """Two processes are two apps: the tenth wrong password, wherever it lands, uses up the
    burst for both, as one process's rule does."""
    clock.fixed = suite_now()
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_second_app(database, clock)), base_url="http://test"
    )
    bad = {"grant_type": "password", "username": seller.admin_email, "password": "wrong"}
    good = {**bad, "password": seller.admin_password}
    auth = (seller.client_id, seller.client_secret)
    async with other:
        answers = [
            await (client if n % 2 else other).post("/oauth/token", data=bad, auth=auth)
            for n in range(10)
        ]
        eleventh = await other.post("/oauth/token", data=good, auth=auth)
        on_the_first = await client.post("/oauth/token", data=good, auth=auth)
        clock.fixed = clock.fixed + timedelta(seconds=61)
        later = await other.post("/oauth/token", data=good, auth=auth)

    assert [a.status_code for a in answers] == [400] * 10
    assert (eleventh.status_code, on_the_first.status_code) == (429, 429)
    assert later.status_code == 200


async def test_json_log_lines_carry_the_request_id(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("khata")
    logger.addHandler(handler)
    try:
        answer = await client.get(
            "/api/v0/bulk/unknown", headers={**seller.headers, "X-Request-ID": "req-log-1"}
        )
        logging.getLogger("khata.test").warning("inside no request")
        from khata.web.logs import REQUEST_ID

        token = REQUEST_ID.set("req-log-2")
        logging.getLogger("khata.bulk").warning("during request %s", "req-log-2")
        REQUEST_ID.reset(token)
    finally:
        logger.removeHandler(handler)

    assert answer.headers["x-request-id"] == "req-log-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[-1])
    assert lines[-1]["request_id"] == "req-log-2"
    assert lines[-1]["message"] == "during request req-log-2"
    assert lines[-2]["request_id"] is None
