"""window: service windows, the day's queue tickets, residents found by ID number

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:41:24.367836
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('service_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_service_windows_community_id_communities')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_service_windows_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_windows')),
    sa.UniqueConstraint('community_id', 'number', name=op.f('uq_service_windows_community_id'))
    )
    with op.batch_alter_table('service_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_windows_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_windows_sub_district_id'), ['sub_district_id'], unique=False)

    op.create_table('window_ticket_counters',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_window_ticket_counters_community_id_communities')),
    sa.PrimaryKeyConstraint('community_id', 'day', name=op.f('pk_window_ticket_counters'))
    )
    op.create_table('window_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('state', sa.Enum('waiting', 'called', 'served', 'missed', name='ticketstate', native_enum=False, length=10), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('called_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('served_by', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_window_tickets_community_id_communities')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_window_tickets_issued_by_users')),
    sa.ForeignKeyConstraint(['served_by'], ['users.id'], name=op.f('fk_window_tickets_served_by_users')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_window_tickets_sub_district_id_sub_districts')),
    sa.ForeignKeyConstraint(['window_id'], ['service_windows.id'], name=op.f('fk_window_tickets_window_id_service_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_tickets')),
    sa.UniqueConstraint('community_id', 'day', 'number', name=op.f('uq_window_tickets_community_id'))
    )
    with op.batch_alter_table('window_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_window_tickets_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_window_tickets_day_state', ['community_id', 'day', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_tickets_sub_district_id'), ['sub_district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_tickets_window_id'), ['window_id'], unique=False)

    # Plain ADD COLUMN on both engines (a batch copy of residents would trip SQLite's
    # foreign keys), then the keyed hash of every ID number already kept.
    op.add_column('residents', sa.Column('id_number_index', sa.String(length=64), nullable=True))
    op.create_index('ix_residents_id_number_index', 'residents', ['id_number_index'], unique=False)
    _backfill()


def _backfill() -> None:
    from server.lib.crypto import open_sealed
    from server.people.models import id_number_index

    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, id_number_sealed FROM residents WHERE id_number_sealed IS NOT NULL")
    ).all()
    for resident_id, sealed in rows:
        try:
            number = open_sealed(bytes(sealed))
        except Exception:  # sealed under another key: it stays unfindable, never lost
            continue
        bind.execute(
            sa.text("UPDATE residents SET id_number_index = :h WHERE id = :id"),
            {"h": id_number_index(number), "id": resident_id},
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would trip the foreign keys.
    op.drop_index('ix_residents_id_number_index', table_name='residents')
    op.drop_column('residents', 'id_number_index')

    with op.batch_alter_table('window_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_window_tickets_window_id'))
        batch_op.drop_index(batch_op.f('ix_window_tickets_sub_district_id'))
        batch_op.drop_index('ix_window_tickets_day_state')
        batch_op.drop_index(batch_op.f('ix_window_tickets_community_id'))

    op.drop_table('window_tickets')
    op.drop_table('window_ticket_counters')
    with op.batch_alter_table('service_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_windows_sub_district_id'))
        batch_op.drop_index(batch_op.f('ix_service_windows_community_id'))

    op.drop_table('service_windows')
