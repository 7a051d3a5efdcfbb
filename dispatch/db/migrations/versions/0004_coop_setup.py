"""co-op setup: maps per co-op, invitations, members, merchant sites, audit (issue 17)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.db.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = dispatch.db.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "maps",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("cut_bbox", sa.JSON(), nullable=True),
        sa.Column("bbox", sa.JSON(), nullable=False),
        sa.Column("outline", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("imported_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # a batch copy of ``coops`` would drop a table others reference (foreign keys are on):
        # SQLite adds a nullable column with its reference in place
        op.execute("ALTER TABLE coops ADD COLUMN map_id VARCHAR(16) REFERENCES maps (id)")
    else:
        op.add_column("coops", sa.Column("map_id", sa.String(length=16), nullable=True))
        op.create_foreign_key("fk_coops_map_id_maps", "coops", "maps", ["map_id"], ["id"])
    # plain ADD COLUMN everywhere (with a default): a batch copy on SQLite would drop and
    # recreate tables that hold referenced rows, which fails with foreign keys on
    op.add_column("merchants", sa.Column("contact_email", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("merchants", sa.Column("contact_phone", sa.String(length=40), nullable=False, server_default=""))
    op.create_table(
        "merchant_sites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("merchant_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merchant_sites_merchant_id"), ["merchant_id"], unique=False)
    op.add_column("api_keys", sa.Column("expires_at", UTC(), nullable=True))
    op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("coop_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["coop_id"], ["coops.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_coop_id"), ["coop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_user_id"), ["user_id"], unique=False)
    op.add_column("audit_log", sa.Column("details", sa.JSON(), nullable=True))


def _drop_column(table: str, column: str) -> None:
    # not a batch copy on SQLite: dropping a table that others reference fails with foreign keys on
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    _drop_column("audit_log", "details")
    op.drop_table("invitations")
    _drop_column("users", "active")
    _drop_column("api_keys", "expires_at")
    op.drop_table("merchant_sites")
    _drop_column("merchants", "contact_phone")
    _drop_column("merchants", "contact_email")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_coops_map_id_maps", "coops", type_="foreignkey")
    _drop_column("coops", "map_id")
    op.drop_table("maps")
