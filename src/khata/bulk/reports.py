"""Report rows of a bulk job: encoded per batch for the database, files built from them.

A job's success and failure reports are stored as chunks (bulk_report_chunk), one per
committed batch, written in that batch's transaction: so a report lists exactly the rows the
database holds, and any server can serve it. A CSV report's chunks are its CSV text (a
download joins them); an XLSX report's chunks are JSON lines of typed cells, laid out into a
workbook when downloaded.
"""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter

from khata.bulk.files import CSV, ITEMS_SHEET, cell_text

SUCCESS, FAILURE, ITEMS = "success", "failure", "items"
REPORTS = (SUCCESS, FAILURE)
# A spreadsheet runs a cell starting with these as a formula (CSV injection); tab and CR too.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PREFIX_SET = frozenset(_FORMULA_PREFIXES)


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:2] in _FORMULA_PREFIXES and value[1:2]:
        return value[1:]
    return value


def _csv_cell(cell: Any) -> str:
    text = cell if type(cell) is str else cell_text(cell)
    return "'" + text if text[:1] in _PREFIX_SET else text


def _json_cell(cell: Any) -> Any:
    if cell is None or isinstance(cell, bool | int | float | str):
        return cell
    if isinstance(cell, datetime):
        return {"t": cell.isoformat()}
    if isinstance(cell, date):
        return {"d": cell.isoformat()}
    return str(cell)


def _from_json(cell: Any) -> Any:
    if isinstance(cell, dict):
        return datetime.fromisoformat(cell["t"]) if "t" in cell else date.fromisoformat(cell["d"])
    return cell


def encode_rows(file_format: str, rows: Iterable[Sequence[Any]]) -> str:
    """Rows as one chunk's text: CSV lines (cells formula-escaped), or JSON lines."""
    if file_format == CSV:
        text = io.StringIO()
        # Most cells are text that needs no escape: only the others pay for a call.
        csv.writer(text).writerows(
            [c if type(c) is str and c[:1] not in _PREFIX_SET else _csv_cell(c) for c in row]
            for row in rows
        )
        return text.getvalue()
    return "".join(
        json.dumps([_json_cell(c) for c in row], ensure_ascii=False) + "\n" for row in rows
    )


def decode_rows(file_format: str, body: str) -> list[list[Any]]:
    """A chunk's rows back (CSV cells unescaped; XLSX cells typed)."""
    if file_format == CSV:
        return [[unescape_cell(c) for c in row] for row in csv.reader(io.StringIO(body))]
    return [[_from_json(c) for c in json.loads(line)] for line in body.splitlines() if line]


def as_objects(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    names = [cell_text(h) for h in headers]
    return [
        {name: cell_text(value) for name, value in zip(names, row, strict=False)} for row in rows
    ]


class XlsxReport:
    """Lays out an XLSX report from its chunks (constant memory), byte-identical for the same
    rows: the workbook's creation time is the job's, never the moment of the download."""

    def __init__(self, target: IO[bytes], created: datetime) -> None:
        self._book = xlsxwriter.Workbook(
            target, {"constant_memory": True, "strings_to_numbers": False}
        )
        self._book.set_properties({"created": created.replace(tzinfo=None)})
        self._date_format = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._sheet: Any = None
        self._row = 0

    def sheet(self, report: str) -> None:
        self._sheet = self._book.add_worksheet(ITEMS_SHEET if report == ITEMS else "report")
        self._row = 0

    def write(self, body: str) -> None:
        for cells in decode_rows("xlsx", body):
            for column, value in enumerate(cells):
                self._write_cell(self._row, column, value)
            self._row += 1

    def _write_cell(self, row: int, column: int, value: Any) -> None:
        sheet = self._sheet
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        elif isinstance(value, datetime | date):
            sheet.write_datetime(row, column, value, self._date_format)
        else:
            sheet.write_string(row, column, escape_cell(str(value)))

    def close(self) -> None:
        self._book.close()
