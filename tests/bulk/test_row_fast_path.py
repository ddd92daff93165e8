"""The fast path of CSV invoice rows answers exactly what check_invoice_row answers."""

import itertools
import random

from khata.bulk.invoice_rows import (
    INVOICE_FIELDS,
    INVOICE_REQUIRED,
    CsvInvoiceRows,
    check_invoice_row,
)

# Per field: a plain valid value first, then spellings and mistakes either path must word alike.
_VALUES = {
    "invoiceNumber": ["A1", " A2 ", "", "  ", "x" * 64, "x" * 65, "=1"],
    "customerId": ["KC1", "", "k" * 16, "k" * 17, " KC2 "],
    "invoiceDate": ["2025-04-01", "01-04-2025", "01/04/2025", "2025-04-01 00:00:00", "", "x"],
    "dueDate": ["2025-05-01", "2025-03-01", "", "31/12/2025", "2025-02-30"],
    "baseAmount": ["100", "0.05", "0.1", "1,000", "1e3", "", " 12.5 ", "12.345", "-5", "10."],
    "cgst": ["9", "", "9.00", "0", "x", "1.234", "-1"],
    "sgst": ["9", "", "9.0", "0", "8"],
    "igst": ["", "0", "18", "x"],
    "tds": ["", "0", "5", "1000000", "x"],
    "gstExclusive": ["", "true", "No", "1", "maybe", " Y "],
    "partialPaymentAllowed": ["", "false", "yes", "?"],
    "description": ["", "d", " d ", "d" * 1001],
    "poNumber": ["", "p", "p" * 101],
    "externalId": ["", "e", "e" * 101],
    "emailAddress": ["", "a@b.co", "bad", "x" * 250 + "@b.co"],
    "mobileNumber": ["", "9876543210", "+91 9876543210", "123"],
    "dispatchNow": ["", "true", "0", "nah"],
}


def test_csv_rows_answer_what_the_full_check_answers() -> None:
    randoms = random.Random(7)
    for _ in range(20_000):
        optional = [f for f in INVOICE_FIELDS if f not in INVOICE_REQUIRED]
        fields = [*INVOICE_REQUIRED, *randoms.sample(optional, randoms.randrange(len(optional)))]
        randoms.shuffle(fields)
        columns = {name: index for index, name in enumerate(fields)}
        cells = [
            _VALUES[f][0] if randoms.random() < 0.9 else randoms.choice(_VALUES[f]) for f in fields
        ]
        if randoms.random() < 0.05:  # a short row: its missing cells are empty
            cells = cells[: randoms.randrange(len(cells))]
        assert CsvInvoiceRows(columns)(cells) == check_invoice_row(cells, columns), cells


def test_every_amount_spelling_reads_alike() -> None:
    columns = {name: index for index, name in enumerate((*INVOICE_REQUIRED, "cgst", "sgst"))}
    rows = CsvInvoiceRows(columns)
    spellings = ["0", "00", "12.5", "12.05", ".5", "5.", "1.2.3", " 7 ", "١٢.٥", "²", "+1"]
    spellings += ["999999999999.99", "1000000000000", "１２"]
    for base, tax in itertools.product(spellings, ["", "0", "0.50", " 1 "]):
        cells = ["N1", "KC1", "2025-04-01", "2025-04-30", base, tax, tax]
        assert rows(cells) == check_invoice_row(cells, columns), cells
