"""Fixtures of the report tests: a real SMTP server for the statement e-mail."""

from collections.abc import Iterator

import pytest

from tests.delivery.servers import SmtpServer, running_smtp_server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server
