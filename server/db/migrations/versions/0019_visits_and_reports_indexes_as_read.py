"""visits and visit_reports: the indexes they are read by, and no others

Every record a phone syncs writes a report and changes its visit (the change touches
indexed columns, so every index of ``visits`` is written again). Nothing reads either
table by grid, sub-district, state, outcome or reporter alone, yet each had an index for
each, and ``visits`` one on ``due_by`` alone while its reads give a community too.

- ``visits``: one index on (community_id, due_by) serves a community's visits by due date
  (a week's plan, coverage, the roster, the monthly figures) instead of two; one partial
  index of the planned visits by day serves the chore that flags the missed ones, and a
  visit recorded leaves it. Eight indexes become five, and a recorded visit is written
  into four.
- ``visit_reports``: the office's review list reads kept reports by community, so a
  partial index of those alone replaces five. Eight indexes become four, and a report
  applied at once is written into three.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PLANNED = sa.text("state = 'planned'")
_KEPT = sa.text("outcome = 'kept'")


def upgrade() -> None:
    for name in ('community_id', 'due_by', 'grid_id', 'state', 'sub_district_id'):
        op.drop_index(f'ix_visits_{name}', table_name='visits')
    op.create_index('ix_visits_community_due', 'visits', ['community_id', 'due_by'])
    op.create_index(
        'ix_visits_planned_day',
        'visits',
        ['visit_date'],
        postgresql_where=_PLANNED,
        sqlite_where=_PLANNED,
    )
    for name in ('community_id', 'grid_id', 'outcome', 'reporter_user_id', 'sub_district_id'):
        op.drop_index(f'ix_visit_reports_{name}', table_name='visit_reports')
    op.create_index(
        'ix_visit_reports_kept',
        'visit_reports',
        ['community_id', 'received_at'],
        postgresql_where=_KEPT,
        sqlite_where=_KEPT,
    )


def downgrade() -> None:
    op.drop_index('ix_visit_reports_kept', table_name='visit_reports')
    for name in ('community_id', 'grid_id', 'outcome', 'reporter_user_id', 'sub_district_id'):
        op.create_index(f'ix_visit_reports_{name}', 'visit_reports', [name])
    op.drop_index('ix_visits_planned_day', table_name='visits')
    op.drop_index('ix_visits_community_due', table_name='visits')
    for name in ('community_id', 'due_by', 'grid_id', 'state', 'sub_district_id'):
        op.create_index(f'ix_visits_{name}', 'visits', [name])
