"""Set-based SQL helpers every repository shares: `one_of` filters and batch inserts (COPY)."""

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import JSON, ColumnElement, String, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession


def one_of(session: AsyncSession, column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """`column IN (...)`. On PostgreSQL `IN (SELECT unnest(array))`: one parameter, so the
    statement text (and asyncpg's prepared statement) is the same for 1 or 1,000 ids and
    SQLAlchemy does not render a thousand placeholders; it plans as a semi-join (not
    `= ANY(array)`, whose generic plan compares every row of the seller with every element:
    seconds per batch on a large table).

    It also bounds the column by the smallest and largest value. Without statistics (a fresh
    table, autovacuum not yet round) PostgreSQL takes a seller for 0.5% of the table and hashes
    all of its rows against the array: every order line of the seller for the lines of 1,000
    orders (360 ms at 300,000 lines). The bound is an index condition whatever the estimates,
    so the scan covers only the values' range: ids and numbers are made in order, and the rows
    asked for together are mostly made together (tests/order/test_lookup_plans.py)."""
    unique = list(dict.fromkeys(values))
    if session.get_bind().dialect.name == "postgresql":
        return _in_array(column, bindparam(None, unique, type_=ARRAY(String)))
    return column.in_(unique)  # type: ignore[no-any-return]


def one_of_named(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """`one_of` for a statement built once and run many times: the values are given at each
    execution as the parameter `name`, a list without repeats."""
    if dialect == "postgresql":
        return _in_array(column, bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def _in_array(column: Any, array: Any) -> ColumnElement[bool]:
    listed = column.in_(select(func.unnest(array)))
    # The bounds are worked out by PostgreSQL, in the column's own collation.
    value = func.unnest(array).column_valued("value")
    lowest = select(func.min(value)).scalar_subquery()
    highest = select(func.max(value)).scalar_subquery()
    return listed & column.between(lowest, highest)  # type: ignore[no-any-return]


def table_columns(table: Any) -> tuple[str, ...]:
    """A table's column names in the order `insert_records` wants each record's values."""
    return tuple(column.name for column in table.columns)


async def insert_records(
    session: AsyncSession,
    table: Any,
    records: Sequence[Sequence[Any]],
    *,
    json_text: bool = False,
) -> None:
    """One batch insert inside the session's transaction of records holding every column of
    `table` in `table_columns` order: binary COPY on PostgreSQL (one round trip; asyncpg
    encodes records far faster than parameters), one executemany on SQLite. JSON columns hold
    Python data, or with `json_text` their JSON text already written (COPY sends it as is)."""
    if not records:
        return
    assert isinstance(table, Table)
    columns = list(table_columns(table))
    if session.get_bind().dialect.name != "postgresql":
        await _execute_many(session, table, columns, records, json_text=json_text)
        return
    json_indexes = [i for i, column in enumerate(table.columns) if isinstance(column.type, JSON)]
    text_rows: Iterable[Sequence[Any]] = records
    if json_indexes and not json_text:
        text_rows = (_with_json_text(record, json_indexes) for record in records)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=text_rows, columns=columns)


def _with_json_text(record: Sequence[Any], indexes: list[int]) -> tuple[Any, ...]:
    values = list(record)
    for i in indexes:
        value = values[i]
        if value is not None:
            values[i] = "[]" if value == [] else json.dumps(value)
    return tuple(values)


async def _execute_many(
    session: AsyncSession,
    table: Table,
    columns: list[str],
    records: Sequence[Sequence[Any]],
    *,
    json_text: bool,
) -> None:
    """One executemany of the records, each value made what SQLAlchemy's own insert would send
    (its bind processors: dates as text, booleans as 0/1, JSON serialised), without the
    per-row parameter handling of `session.execute(insert(table), dicts)`, which cost more than
    SQLite's own work. JSON text (`json_text`) is already what the JSON processor would make."""
    connection = await session.connection()
    dialect = connection.dialect
    processed: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(table.columns):
        bind = column.type.dialect_impl(dialect).bind_processor(dialect)
        if bind is None:
            continue
        process: Callable[[Any], Any] = bind
        if isinstance(column.type, JSON):
            if json_text:
                null = bind(None)  # what the JSON type stores for None (JSON null)
                process = partial(_json_text, null=null)
        else:
            # A batch's dates, times and flags repeat (one `now` stamps every row): each
            # distinct value is processed once.
            process = _Memo(bind).__getitem__
        processed.append((index, process))
    # Tuples: the driver's executemany takes no lists.
    rows = [_processed(record, processed) for record in records]
    quote = dialect.identifier_preparer.quote
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    await connection.exec_driver_sql(statement, rows)


def _processed(
    record: Sequence[Any], processed: list[tuple[int, Callable[[Any], Any]]]
) -> tuple[Any, ...]:
    values = list(record)
    for index, process in processed:
        values[index] = process(values[index])
    return tuple(values)


class _Memo(dict[Any, Any]):
    """A bind processor's answers, kept by value."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        self[value] = answer = self.process(value)
        return answer


def _json_text(value: str | None, *, null: Any) -> Any:
    return null if value is None else value
