"""Fixtures of the delivery tests: a real SMTP server and a real HTTP gateway per session."""

from collections.abc import Iterator

import pytest

from tests.delivery.servers import Gateway, SmtpServer, running_gateway, running_smtp_server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    with running_gateway() as the_gateway:
        yield the_gateway
