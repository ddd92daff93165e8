"""Failed-login limiter: a sliding window per OAuth client, counted in the database so that
every process of the service sees every failure (a limit per process multiplies with them)."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.auth import repository
from khata.auth.secrets import seller_of_token
from khata.db import unit_of_work
from khata.kit.ids import new_object_id


class FailedLoginLimiter:
    def __init__(
        self, factory: async_sessionmaker[AsyncSession], *, burst: int, window_seconds: int
    ) -> None:
        self.factory = factory
        self.burst = burst
        self.window = timedelta(seconds=window_seconds)

    async def retry_after(self, client_id: str, now: datetime) -> int | None:
        """Seconds to wait if `client_id` used up its burst, else None."""
        seller_id = seller_of_token(client_id)
        if seller_id is None:  # names no seller, so no client: nothing to guess a secret of
            return None
        async with self.factory() as session:
            count, oldest = await repository.login_failures_since(
                session, seller_id=seller_id, client_id=client_id[:200], since=now - self.window
            )
        if count < self.burst or oldest is None:
            return None
        return max(1, int((oldest + self.window - now).total_seconds()) + 1)

    async def record_failure(
        self, client_id: str, now: datetime, *, request_session: AsyncSession
    ) -> None:
        """Count one failure in a transaction of its own. The request's transaction, rolled
        back with the failed login anyway, is ended first: SQLite's one writer may be it."""
        seller_id = seller_of_token(client_id)
        if seller_id is None:
            return
        await request_session.rollback()
        async with unit_of_work(self.factory) as session:
            await repository.add_login_failure(
                session,
                seller_id=seller_id,
                client_id=client_id[:200],
                failure_id=new_object_id(now.timestamp()),
                failed_at=now,
                forget_before=now - self.window,
            )
