"""Reading bulk files: staging an upload on disk, checking it, and streaming its rows."""

import csv
import itertools
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import python_calamine

from khata.kit.errors import ClientRequestError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: uploads are then only deleted by their job
    fcntl = None  # type: ignore[assignment]

CSV, XLSX = "csv", "xlsx"
UPLOAD_PREFIX = "khata-upload-"
ITEMS_SHEET = "items"
CHUNK = 1024 * 1024
# An XLSX is a zip of XML: a real sheet expands a few times, a zip bomb by thousands.
XLSX_EXPANSION_FACTOR = 4
XLSX_MAX_MEMBER_RATIO = 200
_ZIP_MAGIC = b"PK\x03\x04"


class BadFile(ClientRequestError):
    """The file as a whole is unusable (400 CLIENT_REQUEST_ERROR); nothing is written."""


class AsyncReadable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int


@dataclass(frozen=True)
class StagedFile:
    """An upload copied to a temporary file, with the format it was recognised as. An upload's
    file is locked (flock) by its process for as long as it lives, so a sweep can tell the
    files of a process that died (the kernel drops its locks) from those still in use."""

    path: Path
    file_name: str
    file_format: str
    lock_fd: int | None = None


async def stage_upload(
    upload: AsyncReadable, *, file_name: str, limits: Limits, directory: str | None = None
) -> StagedFile:
    """Copy an upload to a temporary file chunk by chunk, refusing it past the size limit."""
    file_format = format_of_name(file_name)
    handle, name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=f".{file_format}", dir=directory)
    path = Path(name)
    staged = StagedFile(path, file_name, file_format, _lock(path))
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise BadFile(too_large_message(limits.max_bytes))
                out.write(chunk)
        check_content(path, file_format)
    except BaseException:
        discard(staged)
        raise
    return staged


def discard(staged: StagedFile) -> None:
    """Delete an upload's temporary file (and let go of its lock)."""
    staged.path.unlink(missing_ok=True)
    if staged.lock_fd is not None:
        os.close(staged.lock_fd)


def _lock(path: Path) -> int | None:
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def sweep_uploads(directory: str | None = None) -> int:
    """Delete the upload files left by processes that died (unlocked); answers how many."""
    if fcntl is None:
        return 0
    removed = 0
    for path in Path(directory or tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live process holds it
        else:
            path.unlink(missing_ok=True)
            removed += 1
        finally:
            os.close(fd)
    return removed


def stage_local(path: Path, *, limits: Limits) -> StagedFile:
    """A file given on the command line: checked in place, never copied."""
    file_format = format_of_name(path.name)
    if path.stat().st_size > limits.max_bytes:
        raise BadFile(too_large_message(limits.max_bytes))
    check_content(path, file_format)
    return StagedFile(path=path, file_name=path.name, file_format=file_format)


def too_large_message(max_bytes: int) -> str:
    return f"File is larger than the limit of {max_bytes} bytes"


def format_of_name(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix == ".csv":
        return CSV
    if suffix == ".xlsx":
        return XLSX
    raise BadFile(f"Only CSV or XLSX files are accepted (got '{file_name}')")


def check_content(path: Path, file_format: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BadFile("File is empty: a header row is required")
    if file_format == XLSX and not head.startswith(_ZIP_MAGIC):
        raise BadFile("File is not a valid XLSX workbook")
    if file_format == CSV and (head.startswith(_ZIP_MAGIC) or b"\x00" in head):
        raise BadFile("File is not CSV text (it looks binary)")
    if file_format == CSV:
        check_no_nul(path)


def check_no_nul(path: Path) -> None:
    """A NUL byte anywhere in a CSV: no database text column can hold it (PostgreSQL refuses
    it mid-import), and no text file has one, so the whole file is refused up front."""
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            at = chunk.find(b"\x00")
            if at >= 0:
                line += chunk.count(b"\n", 0, at)
                raise BadFile(f"File is not CSV text (NUL byte on line {line})")
            line += chunk.count(b"\n")


def check_xlsx_expansion(path: Path, limits: Limits) -> None:
    """Refuse a zip bomb from the zip directory, before any of it is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise BadFile("File is not a valid XLSX workbook") from exc
    max_total = limits.max_bytes * XLSX_EXPANSION_FACTOR
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > XLSX_MAX_MEMBER_RATIO and member.file_size > CHUNK:
            raise BadFile(
                f"XLSX member '{member.filename}' expands more than {XLSX_MAX_MEMBER_RATIO} times: "
                "refused as a zip bomb"
            )
    if total > max_total:
        raise BadFile(f"XLSX expands to {total} bytes, over the limit of {max_total} bytes")


def normalize_header(name: str) -> str:
    return name.strip().lower()


@dataclass
class Table:
    """One sheet or CSV file: its original header cells and its data rows (lazily)."""

    headers: list[str]
    row_count: int
    rows: Iterator[list[Any]]
    # Header (normalised) -> column index, for the known fields only.
    columns: dict[str, int] = field(default_factory=dict)


def map_headers(
    headers: Sequence[str], *, known: Sequence[str], required: Sequence[str], what: str
) -> dict[str, int]:
    """Known field -> column index; extra columns are left for the reports to echo."""
    by_lower = {name.lower(): name for name in known}
    columns: dict[str, int] = {}
    seen: set[str] = set()
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        if key in seen:
            raise BadFile(f"{what}: column '{header.strip()}' appears more than once")
        seen.add(key)
        if key in by_lower:
            columns[by_lower[key]] = index
    missing = [name for name in required if name not in columns]
    if missing:
        raise BadFile(f"{what}: missing required columns: {', '.join(missing)}")
    return columns


def require_data(table: Table, *, what: str) -> None:
    """A header with no row under it is refused (400, nothing written): an import that can
    only ever report "0 of 0" is a mistake (an emptied export, the template sent back), and a
    success with nothing imported is exactly what users must not be told."""
    first = next(table.rows, None)
    if first is None:
        raise BadFile(f"{what}: the file has a header row but no data rows")
    table.rows = itertools.chain([first], table.rows)


def overflow_error(cells: Sequence[Any], width: int) -> str | None:
    """Cells past the header's last column have no name to go under, so the row would lose
    them without a word; a row with any such non-empty cell fails, naming them. (Trailing
    empty cells, as spreadsheets often export, are not a problem.)"""
    if len(cells) <= width:
        return None
    extra = [cell_text(cell) for cell in cells[width:]]
    if not any(extra):
        return None
    shown = ", ".join(f"'{text}'" for text in extra if text)
    return f"row has {len(cells)} cells but the header has {width} columns (extra: {shown})"


def nul_error(cells: Sequence[Any], headers: Sequence[str]) -> str | None:
    """A NUL character in a sheet's cell (XLSX writes it as _x0000_): no text column of
    PostgreSQL can store it, so the row fails naming the columns instead of the import."""
    named = [
        headers[index] if index < len(headers) else f"column {index + 1}"
        for index, cell in enumerate(cells)
        if type(cell) is str and "\x00" in cell
    ]
    if not named:
        return None
    return f"{', '.join(named)}: must not contain a NUL character"


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle)


def _is_blank(row: Sequence[Any]) -> bool:
    # A loop, not all() over a generator: this runs twice for every row of every file, and
    # the first cell nearly always settles it.
    for cell in row:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


def _count_csv(path: Path, limits: Limits) -> tuple[list[str], int]:
    """First pass: header, row count and a full UTF-8 check, so a bad byte or too many rows
    anywhere is refused before a single row is written."""
    rows = _csv_rows(path)
    count = 0
    line = 1
    try:
        header = next(rows, None)
        if header is None or _is_blank(header):
            raise BadFile("File has no header row")
        for line, row in enumerate(rows, start=2):  # noqa: B007 - line names the bad row
            if row and not _is_blank(row):
                count += 1
                if count > limits.max_rows:
                    raise BadFile(f"File has more than the limit of {limits.max_rows} rows")
    except UnicodeDecodeError as exc:
        raise BadFile(f"File is not UTF-8 text (undecodable byte near line {line + 1})") from exc
    except csv.Error as exc:
        raise BadFile(f"File is not valid CSV (line {line + 1}): {exc}") from exc
    return header, count


def open_csv(path: Path, limits: Limits) -> Table:
    header, count = _count_csv(path, limits)

    def data() -> Iterator[list[Any]]:
        rows = _csv_rows(path)
        next(rows, None)
        for row in rows:
            if row and not _is_blank(row):
                yield row

    return Table(headers=[h.strip() for h in header], row_count=count, rows=data())


class Workbook:
    """An XLSX checked for expansion and opened with calamine."""

    def __init__(self, path: Path, limits: Limits) -> None:
        check_xlsx_expansion(path, limits)
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises several unrelated types on a broken file
            raise BadFile("File is not a valid XLSX workbook") from exc
        self._limits = limits

    @property
    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def table(self, index_or_name: int | str, *, what: str) -> Table:
        try:
            if isinstance(index_or_name, int):
                sheet = self._book.get_sheet_by_index(index_or_name)
            else:
                sheet = self._book.get_sheet_by_name(index_or_name)
            rows = sheet.iter_rows()
        except Exception as exc:
            raise BadFile(f"{what}: sheet cannot be read") from exc
        header: list[Any] | None = next(rows, None)
        while header is not None and _is_blank(header):
            header = next(rows, None)
        if header is None:
            raise BadFile(f"{what}: no header row")
        count = max(int(sheet.height) - 1, 0)
        if count > self._limits.max_rows:
            raise BadFile(f"File has more than the limit of {self._limits.max_rows} rows")
        data = (row for row in rows if not _is_blank(row))
        return Table(headers=[cell_text(h) for h in header], row_count=count, rows=data)

    def close(self) -> None:
        self._book.close()


def cell_text(value: Any) -> str:
    """A cell as text: whole-number floats from spreadsheets lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
