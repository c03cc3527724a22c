"""cases: the boards' figures written at closing (handling_hours, on_time, deadline_missed)

Existing closed cases are backfilled here: their working hours from intake to closing in
their community's calendar, and on time when resolved by the deadline in force and never
escalated by the deadline watch.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:40:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OVERDUE_NOTE = "overdue: escalated by the deadline watch"


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: a batch copy of the table would trip SQLite's
    # foreign keys (case_events, visits point at it).
    op.add_column('cases', sa.Column('handling_hours', sa.Float(), nullable=True))
    op.add_column('cases', sa.Column('on_time', sa.Boolean(), nullable=True))
    op.add_column(
        'cases',
        sa.Column('deadline_missed', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_community_created', ['community_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cases_sub_district_created', ['sub_district_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cases_grid_created', ['grid_id', 'created_at'], unique=False)
    _backfill()


def _backfill() -> None:
    from server.cases.worktime import DEFAULT_PERIODS, parse_periods, working_hours_between
    from server.db.base import UTCDateTime

    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE cases SET deadline_missed = :yes WHERE id IN (SELECT case_id FROM"
            " case_events WHERE action = 'escalate' AND note = :note)"
        ),
        {"yes": True, "note": OVERDUE_NOTE},
    )
    periods = {
        cid: parse_periods(p) if p else DEFAULT_PERIODS
        for cid, p in bind.execute(
            sa.text("SELECT community_id, periods FROM community_work_hours")
        ).all()
    }
    stamp = UTCDateTime()
    dialect = bind.dialect

    def when(value):  # type: ignore[no-untyped-def]
        if isinstance(value, str):  # SQLite without declared types in a text() query
            from datetime import datetime

            value = datetime.fromisoformat(value)
        return stamp.process_result_value(value, dialect)

    rows = bind.execute(
        sa.text(
            "SELECT id, community_id, created_at, resolved_at, closed_at, due_at,"
            " deadline_missed FROM cases WHERE state = 'closed' AND closed_at IS NOT NULL"
        )
    ).all()
    figures = []
    for cid, community_id, created, resolved, closed, due, missed in rows:
        created, resolved, closed, due = when(created), when(resolved), when(closed), when(due)
        hours = working_hours_between(created, closed, periods.get(community_id, DEFAULT_PERIODS))
        done = resolved or closed
        figures.append(
            {"h": round(hours, 4), "t": bool(not missed and (due is None or done <= due)), "id": cid}
        )
    update = sa.text("UPDATE cases SET handling_hours = :h, on_time = :t WHERE id = :id")
    for at in range(0, len(figures), 5000):  # executemany, in batches
        bind.execute(update, figures[at : at + 5000])


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would trip the foreign keys.
    op.drop_index('ix_cases_grid_created', table_name='cases')
    op.drop_index('ix_cases_sub_district_created', table_name='cases')
    op.drop_index('ix_cases_community_created', table_name='cases')
    op.drop_column('cases', 'deadline_missed')
    op.drop_column('cases', 'on_time')
    op.drop_column('cases', 'handling_hours')
