"""The request's notion of "now": one dependency, so tests can move time without patching."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from khata.kit.timeutil import utc_now


def get_now() -> datetime:
    return utc_now()


def app_now(app: Any) -> datetime:
    """ "Now" as the app's `Now` dependency sees it (tests override `get_now`), for code that runs
    outside a dependency: error handlers and middleware."""
    overrides: dict[Any, Callable[[], datetime]] = getattr(app, "dependency_overrides", {})
    return overrides.get(get_now, get_now)()
