"""Report files of a bulk job: success and failure files, CSV or XLSX, formula-safe."""

import csv
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import python_calamine
import xlsxwriter

from khata.bulk.files import CSV, cell_text

# A spreadsheet runs a cell starting with these as a formula (CSV injection); tab and CR too.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PREFIX_SET = frozenset(_FORMULA_PREFIXES)


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


class ReportWriter:
    """Appends rows to one report file; CSV for a CSV upload, XLSX (constant memory) else."""

    def __init__(self, path: Path, file_format: str, headers: Sequence[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file_format = file_format
        self.headers = list(headers)
        self._csv_handle: IO[str] | None = None
        self._row = 0
        if file_format == CSV:
            self._csv_handle = path.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._csv_handle)
            self._csv.writerow([escape_cell(h) for h in self.headers])
        else:
            self._book = xlsxwriter.Workbook(
                str(path), {"constant_memory": True, "strings_to_numbers": False}
            )
            self._sheet = self._book.add_worksheet("report")
            self._date_format = self._book.add_format({"num_format": "yyyy-mm-dd"})
            self._sheet.write_row(0, 0, [escape_cell(h) for h in self.headers])
            self._row = 1
            self._extra_sheets: dict[str, tuple[Any, int]] = {}

    def write(self, cells: Sequence[Any]) -> None:
        if self._csv_handle is not None:
            self._csv.writerow(
                [
                    ("'" + c if c[:1] in _PREFIX_SET else c)
                    if type(c) is str
                    else escape_cell(cell_text(c))
                    for c in cells
                ]
            )
            return
        for column, value in enumerate(cells):
            self._write_xlsx_cell(self._sheet, self._row, column, value)
        self._row += 1

    def write_sheet(self, name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """An XLSX-only second sheet (the bad rows of the items sheet)."""
        if self._csv_handle is not None or not rows:
            return
        sheet = self._book.add_worksheet(name)
        sheet.write_row(0, 0, [escape_cell(h) for h in headers])
        for row_index, cells in enumerate(rows, start=1):
            for column, value in enumerate(cells):
                self._write_xlsx_cell(sheet, row_index, column, value)

    def _write_xlsx_cell(self, sheet: Any, row: int, column: int, value: Any) -> None:
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
        if self._csv_handle is not None:
            self._csv_handle.close()
        else:
            self._book.close()


def read_report(path: Path, file_format: str, *, limit: int) -> list[dict[str, Any]]:
    """The first `limit` rows of a report as objects (for a past job's summary)."""
    if not path.exists():
        return []
    rows: list[list[Any]] = []
    if file_format == CSV:
        with path.open("r", encoding="utf-8", newline="") as handle:
            for index, row in enumerate(csv.reader(handle)):
                rows.append(row)
                if index >= limit:
                    break
    else:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            for index, cells in enumerate(book.get_sheet_by_index(0).iter_rows()):
                rows.append([cell_text(c) for c in cells])
                if index >= limit:
                    break
        finally:
            book.close()
    if not rows:
        return []
    headers = [unescape_cell(h) for h in rows[0]]
    return [{h: unescape_cell(v) for h, v in zip(headers, row, strict=False)} for row in rows[1:]]


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:2] in _FORMULA_PREFIXES and value[1:2]:
        return value[1:]
    return value
