"""Addresses: the client's, behind reverse proxies that we trust and no others; and the targets of
outgoing requests, which must not be this machine or an internal network.

The client's address:

X-Forwarded-For is believed only when the connection itself comes from a trusted proxy
(`MINQING_TRUSTED_PROXIES`, addresses or networks); then the address is the right-most entry that
is not one of our proxies, so a client cannot choose its own address by sending the header itself.
(django-ipware decides trust from the header's entries, not from the connecting peer, so it is not
used for this.)"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest


@cache
def _trusted(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _is_trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_ip(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed entry: fall back to the proxy itself rather than trust it
    return peer


# --- outgoing requests to addresses an administrator typed (webhooks) -------------------------------
class PrivateTarget(ValueError):
    """The address is this machine or an internal network, which outgoing requests may not reach."""


def _allowed_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(ip in n for n in _trusted(tuple(settings.WEBHOOK_PRIVATE_ALLOWED)))


def check_public(address: str) -> None:
    """Raise PrivateTarget for loopback, private, link-local, multicast, reserved or unspecified addresses,
    unless MINQING_WEBHOOK_PRIVATE_ALLOWED lists them."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not ip.is_global and not _allowed_private(ip):
        raise PrivateTarget(f"目标地址 {ip} 是本机或内部网络地址，不允许推送（需要时在 MINQING_WEBHOOK_PRIVATE_ALLOWED 里放行）。")


def check_url(url: str) -> None:
    """For a form: every address the host name resolves to must be public (or allowed)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise PrivateTarget("地址要以 http:// 或 https:// 开头。")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        raise PrivateTarget(f"无法解析主机名 {parts.hostname}。") from exc
    for info in infos:
        check_public(str(info[4][0]))
