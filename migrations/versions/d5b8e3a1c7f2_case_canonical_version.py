"""cases.canonical_id: the most authoritative publication of a case published more than once.

Revision ID: d5b8e3a1c7f2
Revises: c3a1f0e2b912
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd5b8e3a1c7f2'
down_revision = 'c3a1f0e2b912'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canonical_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_canonical_id'), ['canonical_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_canonical_id_cases'), 'cases', ['canonical_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_canonical_id_cases'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_canonical_id'))
        batch_op.drop_column('canonical_id')
