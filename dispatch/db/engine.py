"""Engine and session factory chosen by URL (``sqlite:///…`` or ``postgresql://…``)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.session import SessionTransactionOrigin

# execution option a read-only session's connection carries: its BEGIN is a plain (deferred) one
READ_ONLY = "coopdispatch_read_only"
# a pooled PostgreSQL connection idle longer than this is pinged before use
PING_AFTER_IDLE_S = 5.0


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, schema: str | None = None, **kwargs: Any) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout; PG an optional schema."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Like ``pool_pre_ping``, but only for connections that sat idle in the pool: a busy server
    checks a connection out several times per request and a ping is a round trip each time.
    A connection that fails its ping is replaced (the pool retries the checkout); one that broke
    while in steady use fails its statement, and SQLAlchemy then invalidates the whole pool."""

    @event.listens_for(engine, "checkin")
    def checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: drop this connection, take another
            raise DisconnectionError("pooled connection failed its ping") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling is disabled so that BEGIN IMMEDIATE below
    # takes the write lock up front: concurrent writers then queue on busy_timeout instead of
    # failing with "database is locked" when a read transaction tries to upgrade.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A read-only transaction (see ``_mark_read_only``) must not take the write lock: in WAL
    # mode readers never wait for the writer, so a thousand sockets authenticating at once do
    # not queue behind each other and behind every write.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _mark_read_only(session: Session, transaction: SessionTransaction) -> None:
    """Sessions used without ``session.begin()`` (``with ctx.sessions() as s: ...``) only read:
    nothing in the code base commits an autobegun session (writers use ``unit_of_work`` or
    ``with ctx.sessions() as s, s.begin():``). Their SQLite transaction begins deferred; any
    other one (explicit ``begin()``, Core connections) still begins IMMEDIATE, so concurrent
    writers queue on the busy timeout instead of failing with "database is locked"."""
    if transaction.parent is None and hasattr(session, "execution_options"):  # SQLAlchemy 2.1+
        read_only = transaction.origin is SessionTransactionOrigin.AUTOBEGIN
        session.execution_options = session.execution_options.union({READ_ONLY: read_only})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        event.listen(factory, "after_transaction_create", _mark_read_only)
    return factory
