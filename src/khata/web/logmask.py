"""Keeps payment-link keys out of the logs: a key is the buyer's only credential, and access
logs print every request's path (`/pay/<key>`). The filter rewrites a record's message and
arguments so only the key's first characters remain, enough to tell requests apart."""

import logging
import re
from typing import Any

_PAY_PATH = re.compile(r"(/pay/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]*")
# The loggers that print request paths: uvicorn's access and error logs, and our own.
MASKED_LOGGERS = ("uvicorn.access", "uvicorn.error", "khata")


def mask_keys(text: str) -> str:
    return _PAY_PATH.sub(r"\1\2…", text)


def _masked(value: Any) -> Any:
    return mask_keys(value) if isinstance(value, str) else value


class PaymentKeyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_keys(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _masked(arg) for name, arg in record.args.items()}
        return True


def install_key_masking() -> None:
    """Add the filter to the loggers that print paths, once per process."""
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PaymentKeyFilter) for f in logger.filters):
            logger.addFilter(PaymentKeyFilter())
