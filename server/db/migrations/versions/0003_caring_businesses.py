"""caring businesses; wishes found by their photos

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('caring_businesses',
    sa.Column('storefront_id', sa.Integer(), nullable=False),
    sa.Column('contact_user_id', sa.Integer(), nullable=True),
    sa.Column('offer', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_caring_businesses_community_id_communities')),
    sa.ForeignKeyConstraint(['contact_user_id'], ['users.id'], name=op.f('fk_caring_businesses_contact_user_id_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_caring_businesses_grid_id_grids')),
    sa.ForeignKeyConstraint(['storefront_id'], ['storefronts.id'], name=op.f('fk_caring_businesses_storefront_id_storefronts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_caring_businesses_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('storefront_id', name=op.f('pk_caring_businesses'))
    )
    op.create_index(op.f('ix_caring_businesses_community_id'), 'caring_businesses', ['community_id'], unique=False)
    op.create_index(op.f('ix_caring_businesses_contact_user_id'), 'caring_businesses', ['contact_user_id'], unique=False)
    op.create_index(op.f('ix_caring_businesses_grid_id'), 'caring_businesses', ['grid_id'], unique=False)
    op.create_index(op.f('ix_caring_businesses_sub_district_id'), 'caring_businesses', ['sub_district_id'], unique=False)
    op.create_index(op.f('ix_wishes_photo'), 'wishes', ['photo'], unique=False)
    op.create_index(op.f('ix_wishes_proof_photo'), 'wishes', ['proof_photo'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wishes_proof_photo'), table_name='wishes')
    op.drop_index(op.f('ix_wishes_photo'), table_name='wishes')
    op.drop_index(op.f('ix_caring_businesses_sub_district_id'), table_name='caring_businesses')
    op.drop_index(op.f('ix_caring_businesses_grid_id'), table_name='caring_businesses')
    op.drop_index(op.f('ix_caring_businesses_contact_user_id'), table_name='caring_businesses')
    op.drop_index(op.f('ix_caring_businesses_community_id'), table_name='caring_businesses')
    op.drop_table('caring_businesses')
