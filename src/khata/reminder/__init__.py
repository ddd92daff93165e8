"""Reminder rules per customer, and the schedule that turns them into deliveries."""
