"""The customer rules without HTTP, as a bulk import uses them: same checks, same messages."""

from datetime import UTC, datetime

import httpx
import pytest

from khata.auth import service as auth_service
from khata.customer import service
from khata.customer.schemas import CustomerCreate
from khata.customer.service import ContactCheck, parse_customer_create, validate_customer_fields
from khata.kit.errors import ValidationFailed
from tests.customer.factories import customer_body, gstin
from tests.support import Database, SellerContext

NOW = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)


def test_a_file_row_gets_the_same_messages_as_the_api() -> None:
    row = customer_body(pinCode="12", ifsc="", email="x@y", state="Kerala")
    data, errors = parse_customer_create(row)
    assert data is None
    assert [(e.field, e.message) for e in errors] == [
        ("email", "must be a valid email address"),
        ("pinCode", "must be six digits"),
    ]
    # Field-valid values then meet the cross-field rules: a Karnataka GSTIN in Kerala.
    data, errors = parse_customer_create(customer_body(state="Kerala"))
    assert data is None
    assert [(e.field, e.message, e.rejected_value) for e in errors] == [
        ("state", "does not match the GSTIN's state code 29", "32")
    ]
    data, errors = parse_customer_create(customer_body(pinCode=560001, ifsc=""))
    assert errors == []
    assert data is not None
    assert (data.pin_code, data.ifsc, data.state) == ("560001", None, "29")


def test_validate_customer_fields_is_pure() -> None:
    contact = ContactCheck(
        path="customerKeyContacts.0",
        is_new=True,
        name=None,
        email=None,
        mobile=None,
        mail_enabled=True,
        sms_enabled=False,
        whatsapp_enabled=True,
    )
    errors = validate_customer_fields(pan_or_gstin=gstin("07"), state="07", contacts=[contact])
    assert [e.field for e in errors] == [
        "customerKeyContacts.0.name",
        "customerKeyContacts.0.email",
        "customerKeyContacts.0.mobile",
    ]
    assert validate_customer_fields(pan_or_gstin="ABCDE1234F", state="07", contacts=[]) != []


async def test_create_and_update_without_http(
    database: Database, seller: SellerContext, client: httpx.AsyncClient
) -> None:
    async with database.session_factory() as session, session.begin():
        caller = await auth_service.authenticate(session, token=seller.token, now=NOW)
        view = await service.create_customer(
            session,
            caller=caller,
            data=CustomerCreate.model_validate(customer_body(uniqueRefNo="ROW-7")),
            now=NOW,
        )
        customer_id = view.customer.id
        with pytest.raises(ValidationFailed) as refused:
            await service.update_customer(
                session, caller=caller, customer_id=customer_id, changes={"ifsc": "bad"}, now=NOW
            )
        assert [e.field for e in refused.value.errors] == ["ifsc"]
        updated = await service.update_customer(
            session,
            caller=caller,
            customer_id=customer_id,
            changes={"assignedAgent": None, "state": "29"},
            now=NOW,
        )
        assert updated.customer.assigned_agent is None
        assert updated.customer.version == 2

    response = await client.get(f"/api/v0/customer/{customer_id}", headers=seller.headers)
    payload = response.json()["payload"]
    assert (payload["uniqueRefNo"], payload["assignedAgent"], payload["version"]) == (
        "ROW-7",
        None,
        2,
    )
    assert payload["createdOn"] == "2026-05-01 12:00:00"
