"""The buyer's answer to an invoice (ACCEPTED, or DISPUTED with a reason) as the invoice keeps
and shows it, and the rule that ends a dispute.

A dispute stops the reminders. It lasts until the buyer accepts or the seller changes the
invoice's status: presents it again (a dispatch, say after correcting it), cancels it or closes
it. Ending it clears the answer on the invoice; the history keeps both.
"""

from typing import Any

from khata.kit.timeutil import enkash_timestamp
from khata.models import Invoice
from khata.models.invoice import BuyerResponse

DISPUTE_ENDED = {"disputeEnded": True}
# The columns an ended dispute clears, for writers that update with UPDATE ... SET.
CLEARED: dict[str, Any] = {
    "buyer_response": None,
    "buyer_response_reason": None,
    "buyer_responded_at": None,
}


def is_disputed(invoice: Invoice) -> bool:
    return invoice.buyer_response == BuyerResponse.DISPUTED


def end_dispute(invoice: Invoice) -> dict[str, Any]:
    """Clear a dispute on a loaded invoice the seller changes; answers what its audit entry
    notes (nothing when there was no dispute). An acceptance stays."""
    if not is_disputed(invoice):
        return {}
    for column, value in CLEARED.items():
        setattr(invoice, column, value)
    return dict(DISPUTE_ENDED)


def buyer_response_wire(invoice: Invoice, time_zone: str) -> dict[str, Any] | None:
    """`buyerResponse {status, reason, respondedOn}` of the AR payload, None before any answer."""
    if invoice.buyer_response is None:
        return None
    responded = invoice.buyer_responded_at
    return {
        "status": invoice.buyer_response,
        "reason": invoice.buyer_response_reason,
        "respondedOn": None if responded is None else enkash_timestamp(responded, time_zone),
    }
