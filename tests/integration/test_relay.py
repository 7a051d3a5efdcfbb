"""The outbox relay over SQLite and PostgreSQL: order, marking, catch-up, replay and pruning."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.db.models import OutboxEvent
from dispatch.realtime import outbox_io
from dispatch.realtime.hub import Hub
from dispatch.realtime.relay import OutboxRelay
from dispatch.services.context import unit_of_work

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def emit(ctx: Any, n: int, coop: str = "c1", track: bool = False) -> None:
    for i in range(n):
        topics = [f"coop:{coop}"] + ([f"track:t{i}"] if track else [])
        with unit_of_work(ctx) as uow:
            uow.emit(coop, "delivery.created", topics,
                     {"id": f"d{i}", "status": "pending", "recipient": {"name": "Matti"}})


class Recorder:
    def __init__(self) -> None:
        self.frames: list[tuple[list[str], Any]] = []

    def __call__(self, topics: list[str], frame: Any) -> None:
        self.frames.append((topics, frame))


async def test_rows_committed_before_the_relay_started_are_published_in_order_once(ctx: Any) -> None:
    """Rows left unpublished (a crash after commit) go out in seq order and are marked."""
    emit(ctx, 5)
    hub, seen = Hub(), Recorder()
    hub.observers.append(seen)
    relay = OutboxRelay(ctx, hub, interval_s=0.05)
    await relay.start()
    for _ in range(100):
        if len(seen.frames) >= 5:
            break
        await asyncio.sleep(0.02)
    await relay.stop()
    seqs = [f.seq for _, f in seen.frames]
    assert seqs == sorted(seqs) and len(seqs) == 5
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None))) == 0


async def test_a_commit_is_published_at_once_and_the_tracking_copy_has_no_personal_data(ctx: Any) -> None:
    """The commit hook publishes within moments; the track topic gets a reduced frame."""
    hub, seen = Hub(), Recorder()
    hub.observers.append(seen)
    relay = OutboxRelay(ctx, hub, interval_s=60)
    await relay.start()
    await asyncio.to_thread(emit, ctx, 1, "c1", True)
    for _ in range(100):
        if len(seen.frames) >= 2:
            break
        await asyncio.sleep(0.01)
    await relay.stop()
    by_topic = {tuple(t): f for t, f in seen.frames}
    assert by_topic[("coop:c1",)].data["recipient"] == {"name": "Matti"}
    assert "recipient" not in by_topic[("track:t0",)].data


def test_replay_returns_a_coops_rows_after_the_cursor_and_refuses_pruned_gaps(ctx: Any) -> None:
    """rows_after gives later rows of one coop; after pruning an old cursor raises Gap."""
    emit(ctx, 3, "c1")
    emit(ctx, 2, "c2")
    emit(ctx, 3, "c1")
    rows = outbox_io.rows_after(ctx, "c1", 2, limit=100)
    assert [r.seq for r in rows] == [3, 6, 7, 8]
    assert outbox_io.publish_pending(ctx, lambda rows: None) == 8
    assert outbox_io.prune(ctx, keep_rows=3) == 5
    with pytest.raises(outbox_io.Gap):
        outbox_io.rows_after(ctx, "c1", 2, limit=100)
    assert [r.seq for r in outbox_io.rows_after(ctx, "c1", 5, limit=100)] == [6, 7, 8]
    with pytest.raises(outbox_io.Gap):
        outbox_io.rows_after(ctx, "c1", 99, limit=100)


def test_replay_for_one_topic_reads_only_its_rows_and_still_counts_every_row(ctx: Any) -> None:
    """A socket's resume gets the rows addressed to its topic; the limit counts the coop's rows."""
    emit(ctx, 3, "c1", track=True)  # coop:c1 + track:t0..t2
    emit(ctx, 2, "c1")
    assert [r.seq for r in outbox_io.rows_after(ctx, "c1", 0, limit=100, topic="track:t1")] == [2]
    assert [r.seq for r in outbox_io.rows_after(ctx, "c1", 0, limit=100, topic="coop:c1")] == [1, 2, 3, 4, 5]
    assert outbox_io.rows_after(ctx, "c1", 0, limit=100, topic="courier:nobody") == []
    with pytest.raises(outbox_io.Gap):
        outbox_io.rows_after(ctx, "c1", 0, limit=4, topic="courier:nobody")


def test_pruning_never_passes_an_unpublished_row(ctx: Any) -> None:
    """With row 1 unpublished nothing is pruned, whatever the retention."""
    emit(ctx, 4)
    with ctx.sessions() as s, s.begin():
        for e in s.scalars(select(OutboxEvent).where(OutboxEvent.seq > 1)):
            e.published_at = ctx.clock()
    assert outbox_io.prune(ctx, keep_rows=1) == 0


class Sent:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send_text(self, data: str) -> None:
        self.texts.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        pass


async def test_after_a_bus_gap_each_connection_gets_what_it_missed_from_the_outbox_once(ctx: Any) -> None:
    """The hub replays the rows above the last seq the bus brought, per connection's topics,
    skipping what a connection already got; no resync."""
    from dispatch.realtime.hub import replay_from_outbox
    from dispatch.realtime.messages import Frame

    emit(ctx, 1, "c1")
    before = outbox_io.latest_seq(ctx)
    emit(ctx, 3, "c1")
    emit(ctx, 2, "c2")
    hub = Hub()
    hub.bus_seq = before
    one, two, ahead = Sent(), Sent(), Sent()
    hub.attach(one, ["coop:c1"])
    hub.attach(two, ["coop:c2"])
    got_some = hub.attach(ahead, ["coop:c1"])
    got_some.last_seq = before + 1  # it had the first missed frame already
    await replay_from_outbox(ctx)(hub)
    await asyncio.sleep(0.05)
    seqs = {name: [Frame.model_validate_json(t).seq for t in conn.texts]
            for name, conn in (("one", one), ("two", two), ("ahead", ahead))}
    assert seqs["one"] == [before + 1, before + 2, before + 3]
    assert seqs["two"] == [before + 4, before + 5]
    assert seqs["ahead"] == [before + 2, before + 3]
    assert hub.bus_seq == before + 5
    await hub.stop()
