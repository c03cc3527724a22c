"""visit reports: records as phones sent them, kept once per ref

Batched visit sync from phones that were offline: each record is kept once per its
``ref`` (the phone's command id), applied to its visit or, when it could not be (the
household reassigned meanwhile, recorded by someone else first), kept for the office.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:24.757813
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('visit_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('reporter_user_id', sa.Integer(), nullable=False),
    sa.Column('received_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.Enum('applied', 'kept', name='reportoutcome', native_enum=False, length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_visit_reports_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_visit_reports_grid_id_grids')),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_visit_reports_reporter_user_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_visit_reports_reviewed_by_users')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_visit_reports_sub_district_id_sub_districts')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_reports_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_reports')),
    sa.UniqueConstraint('ref', name=op.f('uq_visit_reports_ref'))
    )
    with op.batch_alter_table('visit_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_reports_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_reports_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_reports_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_reports_reporter_user_id'), ['reporter_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_reports_sub_district_id'), ['sub_district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_reports_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_reports_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_reports_sub_district_id'))
        batch_op.drop_index(batch_op.f('ix_visit_reports_reporter_user_id'))
        batch_op.drop_index(batch_op.f('ix_visit_reports_outcome'))
        batch_op.drop_index(batch_op.f('ix_visit_reports_grid_id'))
        batch_op.drop_index(batch_op.f('ix_visit_reports_community_id'))

    op.drop_table('visit_reports')
