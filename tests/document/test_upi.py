"""The UPI payment request: exact URI for the balance, values percent-encoded, none when moot."""

from dataclasses import replace
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from khata.document.upi import upi_uri
from tests.document import examples


def _params(uri: str) -> dict[str, str]:
    assert uri.startswith("upi://pay?")
    query = uri.removeprefix("upi://pay?")
    return {key: unquote(value) for key, value in (pair.split("=", 1) for pair in query.split("&"))}


def test_the_uri_asks_for_the_balance_due_with_the_invoice_as_reference() -> None:
    doc = examples.with_tds()  # payable 5,80,000.00, 1,00,000.00 received
    assert upi_uri(doc) == (
        "upi://pay?pa=kaveritex%40okicici&pn=Kaveri%20Textiles%20%26%20Sons%20Pvt%20Ltd"
        "&am=480000.00&tr=KT%2F2025-26%2F0042&tn=Invoice%20KT%2F2025-26%2F0042&cu=INR"
    )


def test_paise_are_written_with_two_decimals() -> None:
    uri = upi_uri(examples.intra_state())
    assert uri is not None
    assert _params(uri)["am"] == "123452.78"


def test_no_uri_without_a_upi_id() -> None:
    assert upi_uri(examples.without_upi()) is None


def test_no_uri_when_nothing_is_due() -> None:
    doc = examples.invoice(
        examples.intra_state().lines, received=examples.intra_state().totals.payable
    )
    assert doc.totals.balance == 0
    assert upi_uri(doc) is None


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


@given(name=_TEXT, number=_TEXT)
def test_any_name_and_number_survive_the_round_trip(name: str, number: str) -> None:
    base = examples.intra_state()
    doc = replace(base, supplier=replace(base.supplier, legal_name=name), invoice_number=number)
    uri = upi_uri(doc)
    assert uri is not None
    pairs = uri.removeprefix("upi://pay?").split("&")
    assert [pair.split("=", 1)[0] for pair in pairs] == ["pa", "pn", "am", "tr", "tn", "cu"]
    for pair in pairs:
        value = pair.split("=", 1)[1]
        assert not any(reserved in value for reserved in " #?+=&,;/")
    params = _params(uri)
    assert params == {
        "pa": "kaveritex@okicici",
        "pn": name,
        "am": "123452.78",
        "tr": number,
        "tn": f"Invoice {number}",
        "cu": "INR",
    }
