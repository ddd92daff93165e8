"""Orders as the commerce dialect shows them."""

from enum import StrEnum
from typing import Any

from khata.kit.amounts import line_amounts, rate_wire
from khata.kit.money import wire_paise
from khata.kit.timeutil import iso_millis
from khata.models import OrderLine
from khata.order.service import OrderWithLines


class InvoicingStatus(StrEnum):
    """How much of an order is invoiced (derived from its lines, not stored)."""

    NOT_INVOICED = "NOT_INVOICED"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"


def invoicing_status(lines: list[OrderLine]) -> str:
    if all(line.invoiced_quantity >= line.quantity for line in lines):
        return InvoicingStatus.INVOICED.value
    if all(line.invoiced_quantity == 0 for line in lines):
        return InvoicingStatus.NOT_INVOICED.value
    return InvoicingStatus.PARTIALLY_INVOICED.value


def order_line_wire(line: OrderLine) -> dict[str, Any]:
    amounts = line_amounts(
        quantity=line.quantity, unit_price=line.unit_price, tax_rate_bp=line.tax_rate_bp
    )
    return {
        "id": line.id,
        "sku": line.sku,
        "name": line.name,
        "description": line.description,
        "hsnCode": line.hsn_code,
        "quantity": line.quantity,
        "unitPrice": wire_paise(line.unit_price),
        "taxRate": rate_wire(line.tax_rate_bp, whole_as_int=True),
        "amount": wire_paise(amounts.amount),
        "tax": wire_paise(amounts.tax),
        "invoicedQuantity": line.invoiced_quantity,
        "remainingQuantity": line.quantity - line.invoiced_quantity,
    }


def order_wire(found: OrderWithLines) -> dict[str, Any]:
    order = found.order
    return {
        "id": order.id,
        "customerId": order.customer_id,
        "currency": order.currency,
        "status": invoicing_status(found.lines),
        "lineItems": [order_line_wire(line) for line in found.lines],
        "subtotal": wire_paise(order.subtotal),
        "tax": wire_paise(order.tax),
        "total": wire_paise(order.total),
        "metaFields": order.meta_fields,
        "createdBy": {
            "id": order.created_by_id,
            "name": order.created_by_name,
            "type": order.created_by_type,
        },
        "createdAt": iso_millis(order.created_at),
        "updatedAt": iso_millis(order.updated_at),
    }
