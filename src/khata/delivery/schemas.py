"""The messages of an invoice as the AR dialect answers them."""

from khata.kit.wire import WireAnswer


class DeliveryPayload(WireAnswer):
    """One message (dispatch or reminder) and its state (`delivery_wire`)."""

    deliveryId: str
    kind: str
    channel: str
    recipient: str
    subject: str | None
    status: str
    attempts: int
    lastError: str | None
    stage: str | None
    invoiceIds: list[str]
    sentOn: str | None
    createdOn: str | None
    nextAttemptOn: str | None
