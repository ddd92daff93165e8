"""Failed-login limiter: a sliding window per OAuth client, kept in the process."""

from collections import deque
from datetime import datetime, timedelta


class FailedLoginLimiter:
    def __init__(self, *, burst: int, window_seconds: int) -> None:
        self.burst = burst
        self.window = timedelta(seconds=window_seconds)
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, key: str, now: datetime) -> int | None:
        """Seconds to wait if `key` used up its burst, else None."""
        failures = self._recent(key, now)
        if len(failures) < self.burst:
            return None
        return max(1, int((failures[0] + self.window - now).total_seconds()) + 1)

    def record_failure(self, key: str, now: datetime) -> None:
        self._recent(key, now).append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of bogus client ids
            self._failures.clear()
