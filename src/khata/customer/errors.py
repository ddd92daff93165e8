"""Errors of the customer domain."""

from khata.kit.errors import Conflict, NotFound, RuleViolation


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"Customer not found: {customer_id}")


class UniqueRefNoTaken(Conflict):
    """uniqueRefNo is the seller's own code for a customer, so two customers cannot share it."""

    def __init__(self, unique_ref_no: str) -> None:
        super().__init__(f"uniqueRefNo {unique_ref_no} is already used by another customer")


class CustomerDeleted(RuleViolation):
    def __init__(self, customer_id: str, action: str) -> None:
        super().__init__(f"Customer {customer_id} is deleted and cannot be {action}")
