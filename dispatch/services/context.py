"""What every service function needs: sessions, settings, the street network, a clock, and
the hooks that run after a commit (relay kick, dispatch trigger). Built once by the app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from dispatch.db.outbox import add_event
from dispatch.settings import Settings

if TYPE_CHECKING:
    from routing.streets.network import StreetNetwork

# (coop_id, event types, committed_at: time.monotonic() just after the commit)
CommitHook = Callable[[str, frozenset[str], float], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    settings: Settings
    sessions: sessionmaker[Session]
    network_loader: Callable[[], StreetNetwork]
    clock: Callable[[], datetime] = utcnow
    commit_hooks: list[CommitHook] = field(default_factory=list)
    # verified API keys (sha256 of key -> expiry, principal); per context so that two apps on
    # two databases in one process never share an answer
    key_cache: dict[str, Any] = field(default_factory=dict)
    # ("coop", coop_id) -> its map_id, ("map", map_id) -> CoopMap: see services/maps.py
    map_cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @cached_property
    def network(self) -> StreetNetwork:
        return self.network_loader()

    def committed(self, coop_id: str, event_types: frozenset[str], at: float | None = None) -> None:
        """Tell the relay and the dispatch loop that ``coop_id`` has new outbox rows.

        ``at``: ``time.monotonic()`` just after the commit (now if not given), the same for
        every hook: the first hook's work can reach other threads before the next is called."""
        at = time.monotonic() if at is None else at
        for hook in self.commit_hooks:
            hook(coop_id, event_types, at)


class UnitOfWork:
    """One transaction; events added here are written to the outbox in it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.event_types: dict[str, set[str]] = {}

    def emit(self, coop_id: str, type_: str, topics: list[str], data: dict[str, Any]) -> None:
        add_event(self.session, coop_id, type_, topics, data)
        self.event_types.setdefault(coop_id, set()).add(type_)


@contextmanager
def unit_of_work(ctx: ServiceContext) -> Iterator[UnitOfWork]:
    """Commit on success, roll back on error; publish hooks run only after the commit."""
    with ctx.sessions() as session:
        uow = UnitOfWork(session)
        with session.begin():
            yield uow
        at = time.monotonic()
    for coop_id, types in uow.event_types.items():
        ctx.committed(coop_id, frozenset(types), at)
