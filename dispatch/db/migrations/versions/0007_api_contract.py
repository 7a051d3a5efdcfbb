"""API contract: webhook event order (issue 20)

Each webhook attempt names the delivery its event is about (``subject_id``), so that the sender
posts the events of one delivery one at a time, in order; ``next_attempt_at`` is kept only
while an attempt is pending (delivered and given-up attempts have none). Rows written before
this migration have no subject and are sent as before; pending ones keep their time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.db.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.add_column(sa.Column("subject_id", sa.String(32), nullable=True))
        batch.alter_column("next_attempt_at", existing_type=dispatch.db.models.UTCDateTime(), nullable=True)
    op.create_index("ix_webhook_attempts_subject", "webhook_attempts",
                    ["endpoint_id", "subject_id", "event_seq"])
    op.execute("UPDATE webhook_attempts SET next_attempt_at = NULL WHERE state <> 'pending'")


def downgrade() -> None:
    op.execute("UPDATE webhook_attempts SET next_attempt_at = COALESCE(delivered_at, created_at) "
               "WHERE next_attempt_at IS NULL")
    op.drop_index("ix_webhook_attempts_subject", table_name="webhook_attempts")
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.alter_column("next_attempt_at", existing_type=dispatch.db.models.UTCDateTime(), nullable=False)
        batch.drop_column("subject_id")
