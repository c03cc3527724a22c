"""boards: the case tally's trigger function runs without JIT and nested loops

A bulk change of cases (thousands of rows in one UPDATE) made the trigger's statements
compile with JIT, and pair old and new rows by nested loops over the transition tables:
seconds at 12,000 rows, quadratic beyond (server/boards/tally.py, ``FUNCTION_SETTINGS``).
PostgreSQL only: SQLite's triggers run per row.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:50:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from server.boards.tally import FUNCTION_SETTINGS

    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'ALTER FUNCTION case_tallies_apply() {FUNCTION_SETTINGS}')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER FUNCTION case_tallies_apply() RESET ALL')
