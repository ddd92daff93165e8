"""Errors of reminder rules."""

from khata.kit.errors import NotFound


class ReminderNotFound(NotFound):
    def __init__(self, reminder_id: str) -> None:
        super().__init__(f"Customer reminder not found: {reminder_id}")
