"""HTTP metrics of this process: requests by route template and status, and their latency."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khata.kit import metrics

HTTP_REQUESTS = metrics.counter(
    "khata_http_requests_total", "HTTP requests answered, by method, route template and status"
)
HTTP_SECONDS = metrics.histogram(
    "khata_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
)
UNMATCHED = "unmatched"  # paths of no route: never one series per path a client made up


class MetricsMiddleware:
    """Outermost middleware: counts every answer under its route's template (`/api/v0/bulk/
    {jobId}`), never its concrete path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", "") or UNMATCHED)
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.inc(method=method, route=template, status=str(status))
            HTTP_SECONDS.observe(time.perf_counter() - started, method=method, route=template)
