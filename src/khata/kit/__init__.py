"""Shared, domain-free helpers: ids, money, GST, time, envelopes, errors."""
