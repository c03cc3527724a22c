"""disclosure: a community's yearly commitments and the two evaluations (一定两评三公开)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:24:16.656843
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('disclosure_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('title_i18n', sa.JSON(), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('target_i18n', sa.JSON(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'achieved', 'delayed', name='commitmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('progress_note', sa.String(length=300), nullable=False),
    sa.Column('progress_note_i18n', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_disclosure_commitments_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_disclosure_commitments_created_by_users')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_disclosure_commitments_sub_district_id_sub_districts')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_disclosure_commitments_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_commitments'))
    )
    with op.batch_alter_table('disclosure_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_commitments_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_disclosure_commitments_community_year', ['community_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_commitments_sub_district_id'), ['sub_district_id'], unique=False)

    op.create_table('disclosure_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.Enum('h1', 'h2', 'year', name='period', native_enum=False, length=10), nullable=False),
    sa.Column('kind', sa.Enum('residents', 'superior', name='evaluationkind', native_enum=False, length=20), nullable=False),
    sa.Column('grade', sa.Enum('good', 'fairly_good', 'fair', 'poor', name='grade', native_enum=False, length=20), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('respondents', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('note_i18n', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_disclosure_evaluations_community_id_communities')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_disclosure_evaluations_recorded_by_users')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_disclosure_evaluations_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_evaluations')),
    sa.UniqueConstraint('community_id', 'year', 'period', 'kind', name=op.f('uq_disclosure_evaluations_community_id'))
    )
    with op.batch_alter_table('disclosure_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_evaluations_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_evaluations_sub_district_id'), ['sub_district_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('disclosure_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_evaluations_sub_district_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_evaluations_community_id'))

    op.drop_table('disclosure_evaluations')
    with op.batch_alter_table('disclosure_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_commitments_sub_district_id'))
        batch_op.drop_index('ix_disclosure_commitments_community_year')
        batch_op.drop_index(batch_op.f('ix_disclosure_commitments_community_id'))

    op.drop_table('disclosure_commitments')
