"""The request's notion of "now": one dependency, so tests can move time without patching."""

from datetime import datetime

from khata.kit.timeutil import utc_now


def get_now() -> datetime:
    return utc_now()
