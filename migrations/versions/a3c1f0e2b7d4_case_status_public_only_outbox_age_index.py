"""Case status is public state only (draft / published / withdrawn); index on outbox age.

Review states (submitted, returned) belong to the case's revisions; the case row no longer
mirrors them. The outbox's created_at gets an index: /healthz asks for the oldest row.

Revision ID: a3c1f0e2b7d4
Revises: 78f6b7f6ecdc
Create Date: 2026-12-01 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a3c1f0e2b7d4'
down_revision = '78f6b7f6ecdc'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE cases SET status = 'draft' WHERE status IN ('submitted', 'returned')"))
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_queue_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_queue_created_at'))
    # The review state of never-published cases is restored from their working revision.
    op.execute(sa.text(
        "UPDATE cases SET status = (SELECT r.state FROM case_revisions r WHERE r.case_id = cases.id "
        "AND r.state IN ('submitted', 'returned') ORDER BY r.number DESC LIMIT 1) "
        "WHERE status = 'draft' AND EXISTS (SELECT 1 FROM case_revisions r WHERE r.case_id = cases.id "
        "AND r.state IN ('submitted', 'returned'))"))
