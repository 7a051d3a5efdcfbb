"""Fixtures for the realtime unit tests: the anyio backend and connection doubles."""

from __future__ import annotations

import asyncio

import pytest

from dispatch.realtime.messages import Frame


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RecordingConnection:
    """A connection that takes frames at once and keeps them."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None

    @property
    def frames(self) -> list[Frame]:
        return [Frame.model_validate_json(t) for t in self.sent]

    async def send_text(self, data: str) -> None:
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)

    async def wait_for(self, n: int, timeout_s: float = 2.0) -> None:
        async def poll() -> None:
            while len(self.sent) < n:
                await asyncio.sleep(0.002)

        await asyncio.wait_for(poll(), timeout_s)


class StuckConnection(RecordingConnection):
    """A phone on a bad network: each send waits until ``unblock`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.unblock = asyncio.Event()

    async def send_text(self, data: str) -> None:
        await self.unblock.wait()
        self.sent.append(data)


@pytest.fixture
def recording() -> type[RecordingConnection]:
    return RecordingConnection


@pytest.fixture
def stuck() -> type[StuckConnection]:
    return StuckConnection
