"""Identifiers: seller `CEK`+7, customer `KC`+14, everything else 24-hex ObjectId layout."""

import os
import secrets
import string
import threading
import time

_ALPHABET = string.ascii_uppercase + string.digits

# ObjectId layout: 4-byte big-endian seconds, 5 random bytes fixed per process, 3-byte counter.
# The per-process random part keeps ids unique across processes without coordination.
_process_random = os.urandom(5)
_counter = secrets.randbelow(0xFFFFFF)
_lock = threading.Lock()


def _after_fork() -> None:
    """A forked process takes a fresh random part (and lock): its ids must not repeat its
    parent's. Done at the fork, not checked on every id (a system call each time)."""
    global _process_random, _lock
    _process_random = os.urandom(5)
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def _random_code(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_seller_id() -> str:
    return "CEK" + _random_code(7)


def new_customer_id() -> str:
    return "KC" + _random_code(14)


def new_object_id(now: float | None = None) -> str:
    """A 24-hex id ordered by creation second, unique across threads and processes."""
    global _counter
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    with _lock:
        _counter = (_counter + 1) & 0xFFFFFF
        counter = _counter
    return (seconds.to_bytes(4, "big") + _process_random + counter.to_bytes(3, "big")).hex()


def new_object_ids(now: float | None, count: int) -> list[str]:
    """`count` ids exactly as `count` calls of new_object_id(now) would make them, at a
    fraction of the cost (one lock, one prefix)."""
    global _counter
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    with _lock:
        start = _counter
        _counter = (_counter + count) & 0xFFFFFF
        prefix = (seconds.to_bytes(4, "big") + _process_random).hex()
    return [f"{prefix}{(start + step) & 0xFFFFFF:06x}" for step in range(1, count + 1)]


def is_object_id(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 24 and all(c in "0123456789abcdef" for c in value)
    )


def new_secret(nbytes: int = 32) -> str:
    """A random URL-safe secret (tokens, client secrets, payment link keys)."""
    return secrets.token_urlsafe(nbytes)
