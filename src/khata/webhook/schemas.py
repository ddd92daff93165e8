"""Wire models of the webhook endpoints."""

from pydantic import Field

from khata.kit.wire import WireAnswer, WireModel


class EndpointCreate(WireModel):
    url: str = Field(min_length=1, max_length=2000)
    enabledEvents: list[str] = Field(min_length=1, max_length=50)
    enabled: bool = True
    description: str | None = Field(default=None, max_length=1000)


class EndpointUpdate(WireModel):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    enabledEvents: list[str] | None = Field(default=None, min_length=1, max_length=50)
    enabled: bool | None = None
    description: str | None = Field(default=None, max_length=1000)


class SecretRotation(WireModel):
    expiresInHours: int = Field(default=24, ge=0, le=24 * 7)


class EndpointPayload(WireAnswer):
    """An endpoint; `secret` only in the answers of create and rotate-secret."""

    id: str
    url: str
    enabledEvents: list[str]
    enabled: bool
    description: str | None
    previousSecretExpiresOn: str | None = Field(
        description="Until then the secret before the last rotation signs too"
    )
    createdOn: str
    modifiedOn: str
    secret: str | None = Field(default=None, description="whsec_…: shown only once")


class EndpointList(WireAnswer):
    endpoints: list[EndpointPayload]


class DeliveryPayload(WireAnswer):
    id: str
    eventId: str
    type: str
    status: str
    attempts: int
    lastResponseCode: int | None
    lastError: str | None
    nextAttemptOn: str | None
    deliveredOn: str | None
    createdOn: str


class DeliveryPage(WireAnswer):
    deliveries: list[DeliveryPayload]
    total_count: int
    offset: int
    limit: int
