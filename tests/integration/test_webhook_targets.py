"""Webhook targets: IPv6 forms that carry a private IPv4 (6to4, Teredo, mapped, NAT64) and
ports other than 80/443 are refused; a send connects to the address its check resolved, so a
DNS server answering differently a moment later (rebinding) is never asked."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest

from dispatch.settings import Settings
from dispatch.webhooks import sender as sender_module
from dispatch.webhooks import service, targets
from tests.integration.api_client import bearer

REFUSED = [
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "http://[2002:c0a8:0001::1]/hook",  # 6to4 of 192.168.0.1
    "http://[2001:0:808:808:0:0:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
    "http://[::ffff:a00:1]/hook",  # IPv4-mapped 10.0.0.1, hex spelling
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "https://8.8.8.8:8443/hook",  # a port other than 80/443
    "http://8.8.8.8:22/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_ipv6_forms_of_private_addresses_and_other_ports_are_refused(url):
    """Each is refused naming the field url, at registration and at send time."""
    with pytest.raises(targets.RefusedTarget) as refused:
        targets.check_sync(url, [])
    assert refused.value.field == "url"
    with pytest.raises(targets.RefusedTarget):
        anyio.run(targets.check_async, url, [])


def test_public_targets_and_configured_ports_pass():
    """Public IPv4, a 6to4 form of a public address, and a port the setting allows."""
    for url in ("https://8.8.8.8/hook", "http://[2002:808:808::1]/hook"):
        targets.check_sync(url, [])
    targets.check_sync("https://8.8.8.8:8443/hook", [], [443, 8443])
    assert Settings().webhook_allow_ports == [80, 443]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_registration_over_http_refuses_a_6to4_loopback(client, world):
    """The API answers 422 naming url for the issue's example."""
    r = client.post("/api/v1/webhooks", headers=bearer(world.merchant_key),
                    json={"url": "http://[2002:7f00:1::]/"})
    assert r.status_code == 422 and r.json()["field"] == "url"


def test_a_send_connects_to_the_checked_address_and_never_resolves_again(monkeypatch):
    """The name resolves to a public address once (checked), then would rebind to 127.0.0.1:
    the request goes to the checked IP, with the name in Host and as the TLS server name."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    lookups: list[str] = []

    async def getaddrinfo(self: Any, host: str, port: int, **kw: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    results: list[Any] = []
    monkeypatch.setattr(service, "record_result", lambda ctx, *args: results.append(args) or "delivered")
    ctx = SimpleNamespace(settings=Settings())
    due = service.Due(attempt_id="a1", url="https://hooks.example.org/coop?x=1", secret="whsec_" + "A" * 32,
                      event_id="evt_1", payload=b"{}")

    async def send() -> None:
        webhooks = sender_module.WebhookSender(ctx, transport=httpx.MockTransport(receive))  # type: ignore[arg-type]
        await webhooks._post(due)
        await webhooks.client.aclose()

    anyio.run(send)
    assert lookups == ["hooks.example.org"]
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34/coop?x=1"
    assert request.headers["host"] == "hooks.example.org"
    assert request.extensions["sni_hostname"] == "hooks.example.org"
    assert results == [("a1", 204, None)]
