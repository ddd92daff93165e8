"""Deliveries: the outbox of messages, the worker that sends them, and the channels."""
