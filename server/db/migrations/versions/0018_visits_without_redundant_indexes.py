"""visits: two indexes that others already served go (each visit written paid for them)

``ix_visits_resident_id`` is the first column of ``uq_visits_resident_due`` and
``ix_visits_person_user_id`` the first of ``ix_visits_person_day``: both engines find a
resident's or a person's visits through those. A recorded visit changes indexed columns,
so every index of ``visits`` is written for it; these two were written for nothing.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 17:45:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index('ix_visits_person_user_id', table_name='visits')
    op.drop_index('ix_visits_resident_id', table_name='visits')


def downgrade() -> None:
    op.create_index('ix_visits_resident_id', 'visits', ['resident_id'], unique=False)
    op.create_index('ix_visits_person_user_id', 'visits', ['person_user_id'], unique=False)
