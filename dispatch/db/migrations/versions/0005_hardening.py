"""hardening: token revocation, login throttling, versioned proofs (issue 16)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _upgrade_auth()


def downgrade() -> None:
    _downgrade_auth()


# --- authentication and secrets (issue 16, items 8-13) ----------------------------------------
# auth_tokens.revoked_at/revoked_reason: logout, password change and deactivation revoke tokens;
# login_throttles: growing delays per account and per client address instead of a hard lock.

def _upgrade_auth() -> None:
    import dispatch.db.models

    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", dispatch.db.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=40), nullable=True))
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", dispatch.db.models.UTCDateTime(), nullable=False),
        sa.Column("wait_until", dispatch.db.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def _downgrade_auth() -> None:
    op.drop_table("login_throttles")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_at")
# --- end of authentication and secrets --------------------------------------------------------
