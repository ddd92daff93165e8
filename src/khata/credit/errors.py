"""Errors of the credit-note and write-off rules; each dialect's handler renders them."""

from khata.kit.errors import NotFound, RuleViolation
from khata.kit.money import from_paise


class CreditNoteNotFound(NotFound):
    def __init__(self, credit_note_id: str) -> None:
        super().__init__(f"Credit note not found: {credit_note_id}")


class NotCreditable(RuleViolation):
    """The invoice's status takes no credit note or write-off (paid, cancelled, closed)."""

    def __init__(self, invoice_id: str, status: str, what: str) -> None:
        super().__init__(f"Invoice {invoice_id} is {status}: no {what} can be recorded")


class OverCredit(RuleViolation):
    """More than what remains creditable: the balance less payments awaiting confirmation."""

    def __init__(self, invoice_id: str, what: str, remaining_paise: int) -> None:
        super().__init__(
            f"The {what} exceeds what remains of invoice {invoice_id}: "
            f"{from_paise(max(remaining_paise, 0))} left"
        )


class LineOverCredit(RuleViolation):
    def __init__(self, line_id: str, remaining: int) -> None:
        super().__init__(
            f"Quantity exceeds what remains to credit on line {line_id}: {remaining} left"
        )
