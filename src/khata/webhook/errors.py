"""Errors of the webhook domain."""

from khata.kit.errors import NotFound


class EndpointNotFound(NotFound):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"Webhook endpoint not found: {endpoint_id}")


class WebhookDeliveryNotFound(NotFound):
    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"Webhook delivery not found: {delivery_id}")
