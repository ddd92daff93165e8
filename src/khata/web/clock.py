"""The request's notion of "now": one dependency, so tests can move time without patching."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from khata.kit.timeutil import utc_now


async def get_now() -> datetime:
    # async: FastAPI runs a plain `def` dependency on its thread pool, a hop per request.
    return utc_now()


def app_now(app: Any) -> datetime:
    """ "Now" as the app's `Now` dependency sees it (tests override `get_now`), for code that runs
    outside a dependency: error handlers and middleware."""
    overrides: dict[Any, Callable[[], datetime]] = getattr(app, "dependency_overrides", {})
    override = overrides.get(get_now)
    return utc_now() if override is None else override()
