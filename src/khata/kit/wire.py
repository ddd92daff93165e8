"""The one base of every wire model: what clients send and what the answers document."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A request body or file row as both dialects take it.

    Fields may be written in snake_case and are named on the wire in camelCase (a camelCase
    field name is its own alias); text is trimmed, so a value of spaces is a missing value; an
    unknown field is ignored, as the Enkash and commerce clients send more than we read. A
    model that must differ says so with its own `model_config` and the reason.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        str_strip_whitespace=True,
        extra="ignore",
    )


class WireAnswer(WireModel):
    """An answer as it goes out, declared for /openapi.json; never parsed from a client.

    The answers are rendered from plain dicts (the models document them and a test holds every
    real answer to them), so the request-side settings do not apply: the keys are the exact
    wire names, which mix camelCase with snake_case (`total_count`, `mail_enabled`,
    `response_code`), text is as stored, and an undocumented key is an error, so the schema
    says `additionalProperties: false` and the contract test catches a key added without docs.
    """

    model_config = ConfigDict(alias_generator=None, str_strip_whitespace=False, extra="forbid")


class PrincipalRef(WireAnswer):
    """Who acted, as both dialects show it (`createdBy`, `changedBy`, a seller's principal)."""

    id: str | None
    name: str | None
    type: str | None
