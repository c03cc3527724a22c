"""cases: an index for a community's list, newest first

``GET /api/v1/communities/{code}/cases`` reads a community's cases by id descending,
a page at a time. With only ``(community_id)`` and ``(community_id, state, id)`` the
planner fetched every case of the community (thousands of heap pages over a city's
million cases) and sorted them for each page; ``(community_id, id)`` reads the page
in order and stops.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:05:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_community_newest', ['community_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_community_newest')
