"""boards: the case tally (per community, day received and day closed), kept by triggers

A sub-district's board sums these small rows instead of reading its cases
(server/boards/tally.py). The triggers keep the tally in step with every write to
``cases`` in the same transaction; the table is filled here from the cases already there.
Migration 0015's covering index on the cohort is no longer needed and goes; indexes on
the handling hours (a sub-district's, a community's) serve the exact 90th percentile.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:40:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from server.boards.tally import BIN_COLUMNS, COUNTS, fill_statement, trigger_statements

    dialect = op.get_bind().dialect.name
    op.create_table(
        'case_tallies',
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=False),
        sa.Column('sub_district_id', sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Float() if name == 'hours_sum' else sa.Integer(), nullable=False)
            for name in COUNTS
        ),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in BIN_COLUMNS),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_case_tallies_community_id_communities')),
        sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_case_tallies_sub_district_id_sub_districts')),
        sa.PrimaryKeyConstraint('community_id', 'received_on', 'closed_on', name=op.f('pk_case_tallies')),
    )
    op.create_index('ix_case_tallies_sub_district_received', 'case_tallies', ['sub_district_id', 'received_on'], unique=False)
    if dialect == 'postgresql':
        op.drop_index('ix_cases_sub_district_created', table_name='cases')
        op.create_index('ix_cases_sub_district_created', 'cases', ['sub_district_id', 'created_at'])
    for unit in ('sub_district', 'community'):
        op.create_index(
            f'ix_cases_{unit}_hours', 'cases', [f'{unit}_id', 'handling_hours'],
            postgresql_include=['created_at', 'state', 'closed_at'],
        )
    op.execute(fill_statement(dialect))
    for statement in trigger_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    from server.boards.tally import drop_statements

    dialect = op.get_bind().dialect.name
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_index('ix_cases_sub_district_hours', table_name='cases')
    op.drop_index('ix_cases_community_hours', table_name='cases')
    op.drop_index('ix_case_tallies_sub_district_received', table_name='case_tallies')
    op.drop_table('case_tallies')
    if dialect == 'postgresql':
        op.drop_index('ix_cases_sub_district_created', table_name='cases')
        op.create_index(
            'ix_cases_sub_district_created', 'cases', ['sub_district_id', 'created_at'],
            postgresql_include=[
                'community_id', 'grid_id', 'state', 'closed_at', 'on_time', 'satisfaction',
                'handling_hours', 'reworks', 'escalations',
            ],
        )
