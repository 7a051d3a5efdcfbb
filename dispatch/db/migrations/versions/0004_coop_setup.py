"""co-op setup: maps per co-op, invitations, members, merchant sites, audit (issue 17)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
