"""calendar_days: the official holidays and worked weekends the operator enters

The ``chinese-calendar`` package carries a year's holidays and 调休 working weekends only
from its release after the State Council publishes them; until then case deadlines
counted that year Monday to Friday. ``linli calendar FILE`` enters them here, and they
win over the package (``server.cases.calendar``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 21:15:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa

import server.db.base
from alembic import op

revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days')),
    )


def downgrade() -> None:
    op.drop_table('calendar_days')
