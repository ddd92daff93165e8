"""Payments: reporting, allocation to invoices, and confirmation."""
