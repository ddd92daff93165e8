"""SQLAlchemy tables, one module per table; importing this package registers them all."""

from khata.models.audit_entry import AuditEntry
from khata.models.auth_token import AuthToken
from khata.models.base import Base
from khata.models.bulk_job import BulkJob
from khata.models.bulk_report_chunk import BulkReportChunk
from khata.models.credit_note import CreditNote
from khata.models.credit_note_line import CreditNoteLine
from khata.models.customer import Customer
from khata.models.delivery import Delivery
from khata.models.delivery_invoice import DeliveryInvoice
from khata.models.idempotency_key import IdempotencyKey
from khata.models.invoice import Invoice
from khata.models.invoice_line import InvoiceLine
from khata.models.invoice_tally import InvoiceTally
from khata.models.key_contact import KeyContact
from khata.models.login_failure import LoginFailure
from khata.models.oauth_client import OAuthClient
from khata.models.order_line import OrderLine
from khata.models.payment import Payment
from khata.models.payment_allocation import PaymentAllocation
from khata.models.principal import Principal
from khata.models.receivable_day import ReceivableDay
from khata.models.reminder_occurrence import ReminderOccurrence
from khata.models.reminder_rule import ReminderRule
from khata.models.sales_order import SalesOrder
from khata.models.seller import Seller
from khata.models.webhook_delivery import WebhookDelivery
from khata.models.webhook_endpoint import WebhookEndpoint
from khata.models.webhook_event import WebhookEvent
from khata.models.write_off import WriteOff

__all__ = [
    "AuditEntry",
    "AuthToken",
    "Base",
    "BulkJob",
    "BulkReportChunk",
    "CreditNote",
    "CreditNoteLine",
    "Customer",
    "Delivery",
    "DeliveryInvoice",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "InvoiceTally",
    "KeyContact",
    "LoginFailure",
    "OAuthClient",
    "OrderLine",
    "Payment",
    "PaymentAllocation",
    "Principal",
    "ReceivableDay",
    "ReminderOccurrence",
    "ReminderRule",
    "SalesOrder",
    "Seller",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WriteOff",
]
