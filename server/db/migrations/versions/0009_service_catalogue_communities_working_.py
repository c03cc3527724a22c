"""service catalogue, communities' working hours

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:40:42.748630
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_table('community_work_hours')
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_items_category_id'))

    op.drop_table('service_items')
    op.drop_table('service_categories')
