"""service cases: catalogue, working hours, cases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:46:24.793823
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base
from geoalchemy2 import Geometry

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('case_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_counters'))
    )
    op.create_table('service_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_i18n', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_service_categories_code'))
    )
    op.create_table('service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_i18n', sa.JSON(), nullable=False),
    sa.Column('close_level', sa.Enum('grid', 'community', 'sub_district', 'department', name='closelevel', native_enum=False, length=20), nullable=False),
    sa.Column('department', sa.String(length=60), nullable=True),
    sa.Column('department_i18n', sa.JSON(), nullable=False),
    sa.Column('liaison', sa.String(length=50), nullable=True),
    sa.Column('liaison_phone', sa.String(length=20), nullable=True),
    sa.Column('deadline_hours', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('on_the_spot', 'by_proxy', 'accompanied', name='handlingmode', native_enum=False, length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['service_categories.id'], name=op.f('fk_service_items_category_id_service_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_items')),
    sa.UniqueConstraint('code', name=op.f('uq_service_items_code'))
    )
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_items_category_id'), ['category_id'], unique=False)

    op.create_table('community_work_hours',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_work_hours_community_id_communities')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_community_work_hours_updated_by_users')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_community_work_hours'))
    )
    op.create_geospatial_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('resident_app', 'patrol', 'visit', 'window', 'hotline', 'sms', 'email', 'open311', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('contact_phone_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('contact_email_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('contact_hash', sa.String(length=64), nullable=True),
    sa.Column('taken_by_user_id', sa.Integer(), nullable=True),
    sa.Column('consent_note', sa.String(length=200), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('received', 'accepted', 'rejected', 'dispatched', 'in_progress', 'resolved', 'closed', 'merged', name='casestate', native_enum=False, length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('grid', 'community', 'sub_district', 'department', name='closelevel', native_enum=False, length=20), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('due_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=200), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolution_photo', sa.String(length=80), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('extension_hours', sa.Integer(), nullable=True),
    sa.Column('extension_reason', sa.String(length=200), nullable=True),
    sa.Column('reworks', sa.Integer(), nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_cases_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_cases_community_id_communities')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_cases_grid_id_grids')),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_cases_item_id_service_items')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['cases.id'], name=op.f('fk_cases_merged_into_id_cases')),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_cases_reporter_user_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_cases_resident_id_residents')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_cases_sub_district_id_sub_districts')),
    sa.ForeignKeyConstraint(['taken_by_user_id'], ['users.id'], name=op.f('fk_cases_taken_by_user_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_cases_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_cases_location', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_cases_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_cases_community_state', ['community_id', 'state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_contact_hash'), ['contact_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_cases_open_due', ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_reporter_user_id'), ['reporter_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sub_district_id'), ['sub_district_id'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_state', sa.Enum('received', 'accepted', 'rejected', 'dispatched', 'in_progress', 'resolved', 'closed', 'merged', name='casestate', native_enum=False, length=20), nullable=True),
    sa.Column('to_state', sa.Enum('received', 'accepted', 'rejected', 'dispatched', 'in_progress', 'resolved', 'closed', 'merged', name='casestate', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_case_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_sub_district_id'))
        batch_op.drop_index(batch_op.f('ix_cases_state'))
        batch_op.drop_index(batch_op.f('ix_cases_resident_id'))
        batch_op.drop_index(batch_op.f('ix_cases_reporter_user_id'))
        batch_op.drop_index('ix_cases_open_due')
        batch_op.drop_index(batch_op.f('ix_cases_item_id'))
        batch_op.drop_index(batch_op.f('ix_cases_grid_id'))
        batch_op.drop_index(batch_op.f('ix_cases_contact_hash'))
        batch_op.drop_index('ix_cases_community_state')
        batch_op.drop_index(batch_op.f('ix_cases_community_id'))
        batch_op.drop_index(batch_op.f('ix_cases_assignee_user_id'))
        batch_op.drop_geospatial_index('idx_cases_location', postgresql_using='gist', column_name='location')

    op.drop_geospatial_table('cases')
    op.drop_table('community_work_hours')
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_items_category_id'))

    op.drop_table('service_items')
    op.drop_table('service_categories')
    op.drop_table('case_counters')
