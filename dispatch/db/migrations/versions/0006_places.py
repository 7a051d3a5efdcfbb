"""address and places index per map (issue 18), and delivery imports from files

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:00:00

``place_indexes``: one row per map whose places were built (when, from what, how long);
``places``: its searchable records (addresses, interpolated numbers, streets with their lines,
named places), read back into the in-process index. ``delivery_imports``: a file of orders
being created, with its progress and each row's outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_indexes",
        sa.Column("map_id", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("build_s", sa.Float, nullable=False),
        sa.Column("built_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "places",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("map_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("street", sa.String(300), nullable=False),
        sa.Column("housenumber", sa.String(40), nullable=False),
        sa.Column("postcode", sa.String(20), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("snapped_lat", sa.Float, nullable=False),
        sa.Column("snapped_lon", sa.Float, nullable=False),
        sa.Column("ref", sa.String(24), nullable=False),
        sa.Column("geometry", sa.JSON, nullable=True),
    )
    op.create_index("ix_places_map_id", "places", ["map_id"])
    op.create_table(
        "delivery_imports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("coop_id", sa.String(32), sa.ForeignKey("coops.id"), nullable=False),
        sa.Column("merchant_id", sa.String(32), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("existing", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_delivery_imports_merchant", "delivery_imports", ["merchant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_imports_merchant", table_name="delivery_imports")
    op.drop_table("delivery_imports")
    op.drop_index("ix_places_map_id", table_name="places")
    op.drop_table("places")
    op.drop_table("place_indexes")
