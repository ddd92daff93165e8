"""Log records as JSON lines carrying the request id (KHATA_LOG_FORMAT=json), or uvicorn's text."""

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from khata.config import Settings

# Set by RequestContextMiddleware for the request being served (None outside a request).
REQUEST_ID: ContextVar[str | None] = ContextVar("khata_request_id", default=None)
JSON, TEXT = "json", "text"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(settings: Settings) -> dict[str, Any] | None:
    """The `logging.config.dictConfig` for `khata serve` (None: uvicorn's own, text)."""
    if settings.log_format.lower() != JSON:
        return None
    handler = {"class": "logging.StreamHandler", "formatter": JSON, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {JSON: {"()": JsonFormatter}},
        "handlers": {JSON: handler},
        "root": {"handlers": [JSON], "level": "INFO"},
        "loggers": {
            name: {"handlers": [JSON], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "khata")
        },
    }


def configure_logging(settings: Settings) -> None:
    """For processes without uvicorn (the worker): JSON lines when asked for."""
    config = log_config(settings)
    if config is not None:
        logging.config.dictConfig(config)
