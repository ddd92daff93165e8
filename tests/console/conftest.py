"""The console tests dispatch invoices, which queue messages no worker of theirs sends: what
a test queued is cancelled after it, as in the buyer tests."""

from tests.buyer.conftest import _drop_queued_messages

__all__ = ["_drop_queued_messages"]
