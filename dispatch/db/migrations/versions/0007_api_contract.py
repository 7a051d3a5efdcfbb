"""API contract: webhook event order (issue 20)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
