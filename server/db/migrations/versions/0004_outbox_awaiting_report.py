"""outbox: index of SMS awaiting a delivery report

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_outbox_awaiting_report', 'outbox', ['channel', 'status', 'sent_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_awaiting_report', table_name='outbox')
