"""Invoices: the core shared by both dialects, the commerce endpoints and the AR endpoints."""
