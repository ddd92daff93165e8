"""The claims one worker holds on messages: taken under a lease from the clock, renewed by a
heartbeat while their sends run, each outcome written only by the holder of the claim.

The same rules serve both outboxes the worker sends from: `delivery` (e-mail, SMS, WhatsApp)
and `webhook_delivery` (signed webhook events); a Claims is made for one table.

A claim token is "<worker id>#<attempt>": another worker that takes the row after the lease ran
out (because this one died, or was stalled past its lease) writes a new token, and from then on
this worker's outcome for the row is refused. A message can then go out twice only when it was
in flight at that moment; both sends carry the same Message-ID / delivery id.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any, Generic

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.config import Settings
from khata.db import unit_of_work
from khata.delivery import repository
from khata.delivery.repository import Outbox

log = logging.getLogger("khata.worker")

Clock = Callable[[], datetime]


def new_worker_id() -> str:
    """host/pid/random: unique per worker run, and says which process held a claim."""
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(3)}"


class Claims(Generic[Outbox]):
    """The rows of one outbox table this worker has claimed and not yet recorded."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Clock,
        worker_id: str,
        table: type[Outbox],
    ) -> None:
        self.table: type[Outbox] = table
        self.session_factory = session_factory
        self.clock = clock
        self.worker_id = worker_id
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.held: dict[tuple[str, str], str] = {}  # (seller id, delivery id) -> claim token

    async def claim(self, session: AsyncSession, *, limit: int) -> list[Outbox]:
        """Due rows claimed in the caller's transaction, the lease counted from the clock now
        (not from the start of the pass, which may be longer ago than the lease). They count
        as held once that transaction commits (`hold`)."""
        now = self.clock()
        return await repository.claim_due(
            session,
            now=now,
            lease_until=now + self.lease,
            limit=limit,
            worker_id=self.worker_id,
            table=self.table,
        )

    def hold(self, rows: list[Outbox]) -> None:
        for row in rows:
            if row.claim_token is not None:
                self.held[(row.seller_id, row.id)] = row.claim_token

    def holds(self, key: tuple[str, str]) -> bool:
        return key in self.held

    def _claims(self, items: list[tuple[tuple[str, str], str]]) -> list[repository.Claim]:
        return [(seller_id, delivery_id, token) for (seller_id, delivery_id), token in items]

    async def renew(self) -> None:
        """Push the lease of every held claim; a claim found taken by another worker is lost."""
        items = list(self.held.items())
        if not items:
            return
        async with unit_of_work(self.session_factory) as session:
            still = await repository.renew_claims(
                session,
                self._claims(items),
                lease_until=self.clock() + self.lease,
                table=self.table,
            )
        for key, token in items:
            if key not in still and self.held.get(key) == token:
                del self.held[key]
                log.warning("delivery %s: claim %s lost (lease ran out)", key[1], token)

    async def record(self, key: tuple[str, str], values: dict[str, Any]) -> bool:
        """Write one message's outcome in a transaction of its own, at once, and only if this
        worker still holds its claim; answers whether it was written."""
        token = self.held.pop(key, None)
        if token is not None:
            async with unit_of_work(self.session_factory) as session:
                claim = (*key, token)
                if await repository.record_outcome(session, claim, values, table=self.table):
                    return True
        log.warning(
            "delivery %s: not recorded, the claim %s is no longer this worker's", key[1], token
        )
        return False

    async def release(self) -> int:
        """Give every claim still held back (its message unsent): due again now, for anyone."""
        items = list(self.held.items())
        self.held.clear()
        if not items:
            return 0
        async with unit_of_work(self.session_factory) as session:
            return await repository.release_claims(
                session, self._claims(items), now=self.clock(), table=self.table
            )

    @contextlib.asynccontextmanager
    async def heartbeat(self) -> AsyncIterator[None]:
        """Renews the held claims every third of the lease while the block runs, so a send (or
        a batch) that outlasts the lease keeps its claims."""
        interval = max(self.lease.total_seconds() / 3, 0.05)

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.renew()
                except Exception:  # a database hiccup: the next beat tries again
                    log.exception("renewing the worker's claims failed")

        task = asyncio.create_task(beat(), name="khata-worker-heartbeat")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
