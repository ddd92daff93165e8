"""The audit trail as the AR dialect answers it (history of an invoice or a customer)."""

from typing import Any

from khata.kit.wire import PrincipalRef, WireAnswer


class AuditEntryPayload(WireAnswer):
    """One change: who, when, and the entity's snapshot before and after (`audit.to_wire`)."""

    id: str
    entityType: str
    entityId: str
    action: str
    changedBy: PrincipalRef
    changedOn: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
