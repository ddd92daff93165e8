"""Every router of the console, in order: the catch-all 404 page comes last."""

from fastapi import APIRouter

from khata.console import (
    bulk_endpoints,
    customer_endpoints,
    endpoints,
    invoice_endpoints,
    payment_endpoints,
    settings_endpoints,
)


def routers() -> list[APIRouter]:
    return [
        endpoints.router,
        invoice_endpoints.router,
        payment_endpoints.router,
        bulk_endpoints.router,
        customer_endpoints.router,
        settings_endpoints.router,
        endpoints.fallback,
    ]
