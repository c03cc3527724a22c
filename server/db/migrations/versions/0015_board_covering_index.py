"""cases: the sub-district cohort index carries the boards' columns (PostgreSQL INCLUDE)

A sub-district's year board then reads the index alone instead of the cases' rows (an
index-only scan after VACUUM). On SQLite the index is unchanged: it has no INCLUDE.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:20:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INCLUDE = [
    'community_id', 'grid_id', 'state', 'closed_at', 'on_time', 'satisfaction',
    'handling_hours', 'reworks', 'escalations',
]


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_cases_sub_district_created', table_name='cases')
    op.create_index(
        'ix_cases_sub_district_created', 'cases', ['sub_district_id', 'created_at'],
        postgresql_include=INCLUDE,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_cases_sub_district_created', table_name='cases')
    op.create_index('ix_cases_sub_district_created', 'cases', ['sub_district_id', 'created_at'])
