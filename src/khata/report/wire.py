"""The reports on the wire: AR payloads and CSV / XLSX downloads with the JSON's columns."""

import csv
import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from khata.bulk.reports import escape_cell
from khata.kit.money import wire_paise
from khata.report.rules import dso as dso_figure
from khata.report.service import Aging, AgingRow, CustomerStatement, Dso, DsoFigure

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(labels: Sequence[str], row: AgingRow) -> dict[str, Any]:
    return {
        "customerId": row.customer_id,
        "customerLegalName": row.legal_name,
        **{label: wire_paise(paise) for label, paise in zip(labels, row.amounts, strict=True)},
        "total": wire_paise(row.total),
    }


def aging_payload(report: Aging) -> dict[str, Any]:
    totals = report.totals
    return {
        "asOf": report.as_of.isoformat(),
        "basis": report.basis.value,
        "buckets": report.labels,
        "rows": [_row(report.labels, row) for row in report.rows],
        "totals": {
            **{label: wire_paise(p) for label, p in zip(report.labels, totals, strict=True)},
            "total": wire_paise(sum(totals)),
        },
    }


def aging_table(report: Aging) -> tuple[list[str], list[list[Any]]]:
    """The JSON rows' columns, in order, and a last TOTAL row."""
    headers = ["customerId", "customerLegalName", *report.labels, "total"]
    rows: list[list[Any]] = [
        [row.customer_id, row.legal_name, *map(wire_paise, row.amounts), wire_paise(row.total)]
        for row in report.rows
    ]
    totals = report.totals
    rows.append(["TOTAL", "", *map(wire_paise, totals), wire_paise(sum(totals))])
    return headers, rows


def _figure(figure: DsoFigure) -> dict[str, Any]:
    value = dso_figure(figure.receivables, figure.credit_sales, figure.span.days)
    return {
        "receivables": wire_paise(figure.receivables),
        "creditSales": wire_paise(figure.credit_sales),
        "dso": None if value is None else float(value),
    }


def dso_payload(report: Dso, interval: str) -> dict[str, Any]:
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "interval": interval,
        "intervals": [
            {"from": f.span.start.isoformat(), "to": f.span.end.isoformat(), **_figure(f)}
            for f in report.intervals
        ],
        "period": _figure(report.period),
    }


def statement_payload(report: CustomerStatement) -> dict[str, Any]:
    labels = report.aging.labels
    row = report.aging.rows[0] if report.aging.rows else None
    amounts = row.amounts if row else [0] * len(labels)
    customer = report.customer
    return {
        "customerId": customer.id,
        "customerLegalName": customer.legal_name,
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "openingBalance": wire_paise(report.opening),
        "entries": [
            {
                "date": line.day.isoformat(),
                "kind": line.kind,
                "reference": line.reference,
                "invoiceId": line.invoice_id,
                "paymentId": line.payment_id,
                "debit": wire_paise(line.debit),
                "credit": wire_paise(line.credit),
                "balance": wire_paise(line.balance),
            }
            for line in report.lines
        ],
        "closingBalance": wire_paise(report.closing),
        "aging": _row(labels, row or AgingRow(customer.id, customer.legal_name, amounts)),
    }


STATEMENT_HEADERS = [
    "date",
    "kind",
    "reference",
    "invoiceId",
    "paymentId",
    "debit",
    "credit",
    "balance",
]


def statement_table(report: CustomerStatement) -> tuple[list[str], list[list[Any]]]:
    """The entries' columns, between an OPENING and a CLOSING row."""
    rows: list[list[Any]] = [
        [report.start.isoformat(), "OPENING", "", "", "", "", "", wire_paise(report.opening)]
    ]
    rows += [
        [
            line.day.isoformat(),
            line.kind,
            line.reference,
            line.invoice_id or "",
            line.payment_id or "",
            wire_paise(line.debit),
            wire_paise(line.credit),
            wire_paise(line.balance),
        ]
        for line in report.lines
    ]
    rows.append([report.end.isoformat(), "CLOSING", "", "", "", "", "", wire_paise(report.closing)])
    return STATEMENT_HEADERS, rows


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows([[escape_cell(cell) for cell in row] for row in rows])
    return text.getvalue().encode("utf-8")


def xlsx_bytes(sheet: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    worksheet = book.add_worksheet(sheet)
    worksheet.write_row(0, 0, headers)
    money = book.add_format({"num_format": "#,##0.00"})
    for index, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            if isinstance(cell, float):
                worksheet.write_number(index, column, cell, money)
            else:
                worksheet.write_string(index, column, escape_cell(str(cell)))
    book.close()
    return buffer.getvalue()
