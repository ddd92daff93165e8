"""Customers and key contacts as the AR dialect shows them (camelCase, Enkash timestamps)."""

from typing import Any

from khata.customer.reminder_schemas import reminder_to_wire
from khata.customer.service import CustomerView, contact_snapshot, own_fields
from khata.kit.timeutil import enkash_timestamp
from khata.models import KeyContact


def contact_to_wire(contact: KeyContact) -> dict[str, Any]:
    # DESIGN spells the channel flags in snake_case; clients match on these exact names.
    return contact_snapshot(contact) | {"deleted": contact.deleted}


def customer_to_wire(view: CustomerView, time_zone: str) -> dict[str, Any]:
    customer = view.customer
    return {
        "customerId": customer.id,
        "sellerId": customer.seller_id,
        **own_fields(customer),
        "customerKeyContacts": [contact_to_wire(c) for c in view.contacts if not c.deleted],
        "customerReminders": [reminder_to_wire(r, time_zone) for r in view.reminders],
        "createdBy": customer.created_by_id,
        "createdByName": customer.created_by_name,
        "createdOn": enkash_timestamp(customer.created_at, time_zone),
        "modifiedBy": customer.modified_by_id,
        "modifiedByName": customer.modified_by_name,
        "modifiedOn": enkash_timestamp(customer.updated_at, time_zone),
        "version": customer.version,
    }
