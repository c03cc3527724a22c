"""visit reports: the office's review decision and its note

A kept visit report is reviewed by the community office: applied (the visit is
recorded from it) or dismissed with a note saying why.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('visit_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.Enum('applied', 'dismissed', name='reviewdecision', native_enum=False, length=10), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visit_reports', schema=None) as batch_op:
        batch_op.drop_column('review_note')
        batch_op.drop_column('decision')
