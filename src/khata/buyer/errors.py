"""Errors of the buyer side; the page shows each one's message to the buyer as it is."""

from khata.kit.errors import KhataError, NotFound


class LinkNotFound(NotFound):
    """No invoice has this payment link: the key is wrong (or was never issued)."""

    def __init__(self) -> None:
        super().__init__("This payment link is not valid")


class NothingOffered(KhataError):
    """The invoice is cancelled or deleted: its link offers nothing any more."""

    status = 410

    def __init__(self) -> None:
        super().__init__("This invoice has been cancelled: there is nothing to pay or download")


class FormRefused(KhataError):
    """A form the page cannot take as it is: a wrong field, or a rule the answer breaks."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message, status=status)


class StaleForm(KhataError):
    """The form's token does not belong to this link (a forged or foreign form)."""

    status = 403

    def __init__(self) -> None:
        super().__init__("This form has expired: reload the page and try again")


class TooManyActions(KhataError):
    """The link's reports and answers of the last hour reached the limit."""

    status = 429

    def __init__(self) -> None:
        super().__init__("Too many attempts through this link: please try again in an hour")
