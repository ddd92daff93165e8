"""Test setup: every database test runs on SQLite and on a real PostgreSQL.

KHATA_TEST_DATABASES picks the backends (default "sqlite,postgresql"); KHATA_TEST_POSTGRES_URL
points at the server (default the local `test` database). Each run creates its own scratch
PostgreSQL database, so runs never see each other's rows; the schema comes from the Alembic
migrations, so they are tested too.
"""

import asyncio
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from khata import migrate
from khata.app import create_app
from khata.config import Settings
from khata.db import create_engine, create_session_factory
from khata.web.clock import get_now
from tests.support import Clock, Database, SellerContext, create_seller
from tests.wire_contract import WireContract

BACKENDS = [b for b in os.environ.get("KHATA_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
POSTGRES_URL = os.environ.get(
    "KHATA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def _create_postgres_database() -> str:
    name = f"khata_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # an unreachable server must fail the run, never skip it
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc!r}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, "
            "or run only SQLite with KHATA_TEST_DATABASES=sqlite.",
            pytrace=False,
        )
    finally:
        await admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def new_database_url(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / f'khata-{secrets.token_hex(4)}.db'}"
    raise ValueError(backend)


@pytest.fixture(scope="session", params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    backend: str = request.param
    if backend == "postgresql":
        url = await _create_postgres_database()
    else:
        url = new_database_url(backend, tmp_path_factory.mktemp("sqlite"))
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    yield Database(backend, url, engine, create_session_factory(engine))
    await engine.dispose()
    if backend == "postgresql":
        await _drop_postgres_database(url)


@pytest.fixture
async def scratch_database_url(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """An empty database of the current backend, for tests that build the schema themselves."""
    if database.backend == "postgresql":
        url = await _create_postgres_database()
        yield url
        await _drop_postgres_database(url)
    else:
        yield new_database_url("sqlite", tmp_path_factory.mktemp("scratch"))


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="session")
def app(database: Database, report_dir: Path) -> FastAPI:
    settings = Settings(
        database_url=database.url,
        report_dir=str(report_dir),
        public_base_url="http://test",
    )
    return create_app(settings, engine=database.engine)


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    """Set `clock.fixed` to move the app's "now"; reset after each test."""
    the_clock = Clock()
    app.dependency_overrides[get_now] = the_clock.now
    yield the_clock
    app.dependency_overrides.pop(get_now, None)


@pytest.fixture(scope="session")
def wire_contract(app: FastAPI) -> WireContract:
    return WireContract(app.openapi())


@pytest.fixture
async def client(
    app: FastAPI, clock: Clock, wire_contract: WireContract
) -> AsyncIterator[httpx.AsyncClient]:
    """Every answer a test gets is held to the schema /openapi.json declares for it."""

    async def documented(response: httpx.Response) -> None:
        await response.aread()
        wire_contract.check(response)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", event_hooks={"response": [documented]}
    ) as the_client:
        yield the_client


@pytest.fixture
async def seller(database: Database) -> SellerContext:
    """A fresh seller (tenant) in Karnataka (29) with an API key; tests never share one."""
    return await create_seller(database)


@pytest.fixture
async def other_seller(database: Database) -> SellerContext:
    return await create_seller(database, name="Other Seller Ltd", state="27")


_backend_of_test: dict[str, str] = {}
_passed_by_backend: Counter[str] = Counter()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the other backend's copy of a test marked `only_postgresql` / `only_sqlite`."""
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = (
            str(callspec.params["database"]) if callspec and "database" in callspec.params else None
        )
        if backend is not None:
            only = {
                m.name.removeprefix("only_")
                for m in item.iter_markers()
                if m.name.startswith("only_")
            }
            if only and backend not in only:
                deselected.append(item)
                continue
            _backend_of_test[item.nodeid] = backend
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and report.nodeid in _backend_of_test:
        _passed_by_backend[_backend_of_test[report.nodeid]] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _passed_by_backend:
        parts = ", ".join(f"{n} on {b}" for b, n in sorted(_passed_by_backend.items()))
        terminalreporter.write_line(f"database tests passed: {parts}")
