"""Order-domain errors: a missing order or customer, and customers that may not buy."""

from khata.kit.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"Order not found: {order_id}")


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"Customer not found: {customer_id}")


class CustomerNotActive(Conflict):
    """An inactive or deleted customer gets no new orders (DESIGN: no new invoices either)."""

    def __init__(self, customer_id: str, *, deleted: bool) -> None:
        state = "deleted" if deleted else "inactive"
        super().__init__(f"Customer is {state}: {customer_id}")
