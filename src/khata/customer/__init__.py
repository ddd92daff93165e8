"""Customers and their key contacts (AR dialect)."""
