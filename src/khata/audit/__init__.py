"""Audit trail of changes to customers, invoices and payments."""
