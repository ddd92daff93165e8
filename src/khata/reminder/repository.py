"""Queries of reminder rules (the scheduler keeps its own queries in scheduler.py)."""

from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import ReminderRule


async def get_rule(session: AsyncSession, seller_id: str, reminder_id: str) -> ReminderRule | None:
    """A live (not deleted) rule of this seller, or None."""
    rule = await session.get(ReminderRule, (seller_id, reminder_id))
    if rule is None or rule.deleted:
        return None
    return rule
