"""visits: care settings, pairs, visits and their history; residents' visit window

Staggered-hour visits 错时服务: a community's care roster rules (care_settings), party
members paired with residents (care_pairs), each visit planned and recorded (visits)
with its history (visit_events), and the window a resident prefers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:14:13.598547
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('care_settings',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('frequencies', sa.JSON(), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('capacity_per_window', sa.Integer(), nullable=False),
    sa.Column('office_days', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_care_settings_community_id_communities')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_care_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_care_settings'))
    )
    op.create_table('care_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_user_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_care_pairs_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_care_pairs_created_by_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_care_pairs_grid_id_grids')),
    sa.ForeignKeyConstraint(['member_user_id'], ['users.id'], name=op.f('fk_care_pairs_member_user_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_care_pairs_resident_id_residents')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_care_pairs_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_pairs')),
    sa.UniqueConstraint('member_user_id', 'resident_id', name=op.f('uq_care_pairs_member_user_id'))
    )
    op.create_index(op.f('ix_care_pairs_community_id'), 'care_pairs', ['community_id'], unique=False)
    op.create_index(op.f('ix_care_pairs_grid_id'), 'care_pairs', ['grid_id'], unique=False)
    op.create_index(op.f('ix_care_pairs_member_user_id'), 'care_pairs', ['member_user_id'], unique=False)
    op.create_index(op.f('ix_care_pairs_resident_id'), 'care_pairs', ['resident_id'], unique=False)
    op.create_index(op.f('ix_care_pairs_sub_district_id'), 'care_pairs', ['sub_district_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('due_by', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('planned', 'unplanned', 'done', 'missed', 'cancelled', name='visitstate', native_enum=False, length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('person_user_id', sa.Integer(), nullable=True),
    sa.Column('visit_date', sa.Date(), nullable=True),
    sa.Column('window', sa.Enum('noon', 'evening', name='visitwindow', native_enum=False, length=10), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('arrive_at', sa.String(length=5), nullable=True),
    sa.Column('walk_m', sa.Integer(), nullable=True),
    sa.Column('fixed', sa.Boolean(), nullable=False),
    sa.Column('unplanned_reason', sa.String(length=40), nullable=True),
    sa.Column('visited_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('condition', sa.Enum('good', 'fair', 'poor', name='condition', native_enum=False, length=10), nullable=True),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=80), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_visits_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_visits_grid_id_grids')),
    sa.ForeignKeyConstraint(['pair_id'], ['care_pairs.id'], name=op.f('fk_visits_pair_id_care_pairs')),
    sa.ForeignKeyConstraint(['person_user_id'], ['users.id'], name=op.f('fk_visits_person_user_id_users')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_visits_recorded_by_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_visits_resident_id_residents')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_visits_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('resident_id', 'due_by', 'source', name='uq_visits_resident_due')
    )
    op.create_index(op.f('ix_visits_community_id'), 'visits', ['community_id'], unique=False)
    op.create_index(op.f('ix_visits_due_by'), 'visits', ['due_by'], unique=False)
    op.create_index(op.f('ix_visits_grid_id'), 'visits', ['grid_id'], unique=False)
    op.create_index('ix_visits_person_day', 'visits', ['person_user_id', 'visit_date', 'window', 'position'], unique=False)
    op.create_index(op.f('ix_visits_person_user_id'), 'visits', ['person_user_id'], unique=False)
    op.create_index(op.f('ix_visits_resident_id'), 'visits', ['resident_id'], unique=False)
    op.create_index(op.f('ix_visits_state'), 'visits', ['state'], unique=False)
    op.create_index(op.f('ix_visits_sub_district_id'), 'visits', ['sub_district_id'], unique=False)

    op.create_table('visit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.Enum('planned', 'unplanned', 'done', 'missed', 'cancelled', name='visitstate', native_enum=False, length=20), nullable=True),
    sa.Column('to_state', sa.Enum('planned', 'unplanned', 'done', 'missed', 'cancelled', name='visitstate', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_visit_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_events_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_events'))
    )
    op.create_index(op.f('ix_visit_events_visit_id'), 'visit_events', ['visit_id'], unique=False)

    op.add_column('residents', sa.Column('visit_window', sa.String(length=10), nullable=True))




def downgrade() -> None:
    op.drop_column('residents', 'visit_window')
    op.drop_table('visit_events')
    op.drop_table('visits')
    op.drop_table('care_pairs')
    op.drop_table('care_settings')
