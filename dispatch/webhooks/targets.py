"""Where a webhook may go: http(s) to public addresses only, checked at registration and again
(after a fresh DNS lookup) before every send, so a name that later resolves to 127.0.0.1 or
169.254.169.254 is refused too. The send then connects to the very address it checked
(``Pinned``: the URL names the IP, ``Host`` and TLS SNI/certificate name the host), so there is
no second lookup for a rebinding DNS server to answer differently. IPv6 forms that carry an
IPv4 address (mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo ``2001::/32``, NAT64
``64:ff9b::/96``) are judged by the address they carry. Only ports ``webhook_allow_ports``
(80 and 443 by default). ``webhook_allow_hosts`` exempts named hosts: for tests with a local
receiver only, never in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from dispatch.domain.errors import InvalidInput

MAX_URL = 2000
DEFAULT_PORTS = (80, 443)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


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


@dataclass(frozen=True, slots=True)
class Pinned:
    """How to reach a checked target: ``url`` names the checked IP (or the allowed host),
    ``host`` goes in the Host header and is the TLS server name."""

    url: str
    host: str


def refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = _carried_ipv4(ip)
        if carried:
            return any(refused_address(str(v4)) for v4 in carried)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def _carried_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 form leads to (mapped, 6to4, Teredo server and client, NAT64)."""
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)
    if ip in NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _check_port(port: int, allow_ports: tuple[int, ...] | list[int]) -> None:
    if port not in allow_ports:
        raise RefusedTarget(f"url port {port} is not allowed: webhooks go to ports "
                            f"{', '.join(map(str, allow_ports))}", field="url")


def _pinned(url: str, host: str, address: str) -> Pinned:
    parts = urlsplit(url)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    netloc = f"[{ip}]" if ip.version == 6 else str(ip)
    if parts.port is not None:
        netloc += f":{parts.port}"
    return Pinned(urlunsplit(parts._replace(netloc=netloc)), host)


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


def check_sync(url: str, allow_hosts: list[str], allow_ports: tuple[int, ...] | list[int] = DEFAULT_PORTS) -> None:
    """Registration-time check (resolves DNS in the calling thread)."""
    _, host, port = parse(url)
    if host in allow_hosts:
        return
    _check_port(port, allow_ports)
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise RefusedTarget(f"url host {host} does not resolve", field="url") from exc
        addresses = [str(info[4][0]) for info in infos]
    _check(host, addresses)


async def check_async(url: str, allow_hosts: list[str],
                      allow_ports: tuple[int, ...] | list[int] = DEFAULT_PORTS) -> Pinned:
    """Send-time check with a fresh lookup (the name may have been re-pointed since); connect
    to the ``Pinned`` address it returns, never to the name again."""
    _, host, port = parse(url)
    if host in allow_hosts:
        return Pinned(url, host)
    _check_port(port, allow_ports)
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise RefusedTarget(f"url host {host} does not resolve", field="url") from exc
        addresses = [str(info[4][0]) for info in infos]
    _check(host, addresses)
    return _pinned(url, host, addresses[0])
