"""Login blocks per name and address instead of per account: drop users.failed_logins/locked_until.

Failed attempts are counted from login_attempts (name lower-cased, address), so nobody can lock
another person out, and the answer does not reveal whether an account exists.

Revision ID: b7e2d91c4f60
Revises: a3c1f0e2b7d4
Create Date: 2026-12-01 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e2d91c4f60'
down_revision = 'a3c1f0e2b7d4'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE login_attempts SET username = lower(username)"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
