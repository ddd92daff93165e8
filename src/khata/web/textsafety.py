"""Refuses text no column can hold: NUL characters and unpaired UTF-16 surrogates.

PostgreSQL text cannot store U+0000 (the driver raises, the request would answer 500) and an
unpaired surrogate (JSON `"\\ud800"`) cannot even be encoded into the UTF-8 answer. Both can
only be garbage, so they are refused at the door, once for every route: in the URL (path and
query) and in JSON bodies, naming the field.
"""

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope

from khata.kit.errors import FieldError
from khata.web.asgi import buffer_body

MESSAGE = "must not contain NUL characters or unpaired surrogates"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
# A NUL or surrogate can reach json.loads only as a \u escape or as raw UTF-8 surrogate bytes
# (which Python's parser lets through); a body without either skips the second parse.
_MAY_BE_UNSAFE = re.compile(rb"\\u|\xed[\xa0-\xbf]")


def _unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def unsafe_url_field(scope: Scope) -> FieldError | None:
    """The path or query parameter holding unsafe text, if any."""
    if _unsafe(scope.get("path", "")):
        return FieldError("path", MESSAGE)
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if _unsafe(name) or _unsafe(value):
                return FieldError(name if not _unsafe(name) else "query", MESSAGE)
    return None


def unsafe_json_field(body: bytes) -> FieldError | None:
    """The first field (dotted path) of a JSON document holding unsafe text, if any."""
    if not _MAY_BE_UNSAFE.search(body):
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON the app could read either: its own parser answers 400
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:  # iterative: a deeply nested body must not exhaust the Python stack
        where, value = stack.pop()
        if isinstance(value, str) and _unsafe(value):
            return FieldError(where or "body", MESSAGE)
        if isinstance(value, dict):
            for key, item in value.items():
                if _unsafe(key):
                    return FieldError(where or "body", MESSAGE)
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}" if where else str(i), v) for i, v in enumerate(value))
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            media = bytes(value).decode("latin-1").split(";")[0].strip().lower()
            return media == "application/json" or media.endswith("+json")
    return False


async def screen(scope: Scope, receive: Receive) -> tuple[FieldError | None, Receive]:
    """Checks the URL and a JSON body; answers the problem and a `receive` that replays it."""
    problem = unsafe_url_field(scope)
    if problem is not None or not _is_json(scope):
        return problem, receive
    body, replay = await buffer_body(receive)
    return unsafe_json_field(body), replay
