"""notify: generic recipients and contacts, opt-outs, collapse keys, quiet-hours switch

The outbox no longer names residents (a domain's model): ``resident_id`` becomes
``recipient_kind = 'resident'`` and ``recipient_ref``; bare contacts' addresses are
sealed on the row; ``collapse_key`` lets a newer message supersede an older unsent
one. ``opt_outs`` keeps keyed hashes of numbers that sent 退订/TD. Communities'
quiet hours can be switched off and record who changed them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import server.db.base

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('opt_outs',
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'address_hash', name=op.f('pk_opt_outs'))
    )
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('recipient_kind', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('recipient_ref', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('address_kind', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('address_sealed', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('collapse_key', sa.String(length=160), nullable=True))
    op.execute(
        "UPDATE outbox SET recipient_kind = 'resident', recipient_ref = resident_id "
        "WHERE resident_id IS NOT NULL"
    )
    op.drop_index(op.f('ix_outbox_resident_id'), table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint(op.f('fk_outbox_resident_id_residents'), type_='foreignkey')
        batch.drop_column('resident_id')
    op.create_index(op.f('ix_outbox_collapse_key'), 'outbox', ['collapse_key'], unique=False)
    op.create_index('ix_outbox_recipient', 'outbox', ['recipient_kind', 'recipient_ref'], unique=False)
    with op.batch_alter_table('community_notify_settings') as batch:
        batch.add_column(sa.Column('quiet_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('updated_by', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_community_notify_settings_updated_by_users'), 'users', ['updated_by'], ['id'])
    with op.batch_alter_table('community_notify_settings') as batch:
        batch.alter_column('quiet_enabled', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('community_notify_settings') as batch:
        batch.drop_constraint(op.f('fk_community_notify_settings_updated_by_users'), type_='foreignkey')
        batch.drop_column('updated_by')
        batch.drop_column('quiet_enabled')
    op.drop_index('ix_outbox_recipient', table_name='outbox')
    op.drop_index(op.f('ix_outbox_collapse_key'), table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('resident_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_outbox_resident_id_residents'), 'residents', ['resident_id'], ['id'])
    op.execute(
        "UPDATE outbox SET resident_id = recipient_ref WHERE recipient_kind = 'resident'"
    )
    # Rows to bare contacts, and the states they may be in, have no place in the old schema.
    op.execute("DELETE FROM outbox WHERE address_kind IS NOT NULL")
    op.execute("UPDATE outbox SET status = 'failed' WHERE status IN ('suppressed', 'superseded')")
    op.create_index(op.f('ix_outbox_resident_id'), 'outbox', ['resident_id'], unique=False)
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('collapse_key')
        batch.drop_column('address_sealed')
        batch.drop_column('address_kind')
        batch.drop_column('recipient_ref')
        batch.drop_column('recipient_kind')
    op.drop_table('opt_outs')
