"""outbox rows numbered at commit on PostgreSQL (per-coop lock held only through COMMIT)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:20:00

A deferred constraint trigger takes the coop's advisory lock and gives the row its final
``seq`` while the transaction commits, so commit order equals ``seq`` order within a coop
with the lock held for the commit alone (no client round trip inside it). See db/outbox.py.
Until then a row carries a negative provisional number from a sequence of its own, so the
public numbers are not burnt twice (and a rolled-back row burns none). SQLite has one writer
and needs nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# key range of the per-coop outbox locks: 0x0D15_0000_0000 + (hashtext(coop_id) + 2^31), the
# same range db/outbox.py documents and below the relay's key in realtime/outbox_io.py
FUNCTION = """
CREATE OR REPLACE FUNCTION outbox_number_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(x'0D1500000000'::bigint + hashtext(NEW.coop_id)::bigint + 2147483648);
    EXECUTE format('UPDATE %1$I.%2$I SET seq = nextval(pg_get_serial_sequence(%3$L, ''seq'')) WHERE seq = $1',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME))
        USING NEW.seq;
    RETURN NULL;
END
$$
"""
TRIGGER = """
CREATE CONSTRAINT TRIGGER outbox_number_at_commit AFTER INSERT ON outbox
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_number_at_commit()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE outbox_provisional_seq")
    op.execute("ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT -nextval('outbox_provisional_seq')")
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_number_at_commit ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_number_at_commit()")
    op.execute("ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT nextval('outbox_seq_seq'::regclass)")
    op.execute("DROP SEQUENCE IF EXISTS outbox_provisional_seq")
