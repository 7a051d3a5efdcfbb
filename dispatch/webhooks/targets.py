"""Where a webhook may go: http(s) to public addresses only, checked at registration and again
(after a fresh DNS lookup) before every send, so a name that later resolves to 127.0.0.1 or
169.254.169.254 is refused too. ``webhook_allow_hosts`` exempts named hosts: for tests with a
local receiver only, never in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from dispatch.domain.errors import InvalidInput

MAX_URL = 2000


class RefusedTarget(InvalidInput):
    """The URL is malformed or points at a private, loopback or link-local address."""

    title = "Webhook target refused"
    problem_type = "webhook-target-refused"


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, or raise naming the field ``url``."""
    if len(url) > MAX_URL:
        raise RefusedTarget(f"url is longer than {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"url is not a valid URL: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("url must be an http:// or https:// URL with a host", field="url")
    if parts.username or parts.password:
        raise RefusedTarget("url must not carry credentials", field="url")
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def _check(host: str, addresses: list[str]) -> None:
    if not addresses:
        raise RefusedTarget(f"url host {host} does not resolve", field="url")
    for address in addresses:
        if refused_address(address):
            raise RefusedTarget(
                f"url host {host} resolves to {address}, a private, loopback or link-local "
                "address: webhooks only go to public addresses", field="url")


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return None


def check_sync(url: str, allow_hosts: list[str]) -> None:
    """Registration-time check (resolves DNS in the calling thread)."""
    _, host, port = parse(url)
    if host in allow_hosts:
        return
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise RefusedTarget(f"url host {host} does not resolve", field="url") from exc
        addresses = [str(info[4][0]) for info in infos]
    _check(host, addresses)


async def check_async(url: str, allow_hosts: list[str]) -> None:
    """Send-time check with a fresh lookup (the name may have been re-pointed since)."""
    _, host, port = parse(url)
    if host in allow_hosts:
        return
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise RefusedTarget(f"url host {host} does not resolve", field="url") from exc
        addresses = [str(info[4][0]) for info in infos]
    _check(host, addresses)
