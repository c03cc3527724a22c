"""Writing and reading the audit log; entries join the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scope import Scope
from server.audit.models import AuditEntry

__all__ = ["AuditService"]


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        actor_id: int | None,
        action: str,
        object_type: str,
        object_id: object | None = None,
        *,
        where: Any | None = None,
        client_ip: str | None = None,
        **detail: Any,
    ) -> AuditEntry:
        """Add an entry; ``where`` is any object with the three scope ids (the thing touched)."""
        entry = AuditEntry(
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            sub_district_id=getattr(where, "sub_district_id", None),
            community_id=getattr(where, "community_id", None),
            grid_id=getattr(where, "grid_id", None),
            client_ip=client_ip,
            detail=detail,
        )
        self.session.add(entry)
        return entry

    async def list(
        self,
        scope: Scope,
        *,
        action: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        query = select(AuditEntry).where(scope.clause(AuditEntry))
        if action:
            query = query.where(AuditEntry.action == action)
        if before_id:
            query = query.where(AuditEntry.id < before_id)
        return list(
            (await self.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all()
        )
