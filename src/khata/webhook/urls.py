"""Which URLs events may be POSTed to: checked when an endpoint is saved and again at each send,
since what a name resolves to can change in between."""

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never reachable, whatever the operator allows: link-local (the cloud metadata services live
# there) and the metadata addresses outside it.
_NEVER = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("168.63.129.16/32"),  # Azure wire server
)
_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog"})


class UnsafeUrl(ValueError):
    """The URL may not receive events; the message says why."""


def _host_of(url: str, allow_hosts: Collection[str]) -> tuple[str, int]:
    """The URL's host and port after the checks that need no lookup."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a URL: {exc}") from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeUrl("must be an https:// URL with a host")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry a user name or password")
    if host in _METADATA_NAMES:
        raise UnsafeUrl(f"{host} is a cloud metadata service")
    if parts.scheme == "http" and host not in allow_hosts:
        raise UnsafeUrl(f"must be https (http only to hosts in KHATA_WEBHOOK_ALLOW_HOSTS): {host}")
    return host, port or (443 if parts.scheme == "https" else 80)


def check_address(host: str, address: IPAddress, allow_hosts: Collection[str]) -> None:
    """Refuse link-local and metadata addresses always; loopback, private and other non-public
    addresses unless the host is allowed by the operator."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in _NEVER):
        raise UnsafeUrl(f"{host} is a link-local or metadata address ({address})")
    if host in allow_hosts:
        return
    if not address.is_global or address.is_multicast:
        raise UnsafeUrl(
            f"{host} is not a public address ({address}); allow it with KHATA_WEBHOOK_ALLOW_HOSTS"
        )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_url(url: str, allow_hosts: Collection[str], *, must_resolve: bool) -> None:
    """Raise UnsafeUrl unless events may go to `url`. Every address the host resolves to is
    checked. A name that does not resolve passes only when `must_resolve` is false (saving an
    endpoint while its DNS is not yet set up); at send time it fails the attempt."""
    host, port = _host_of(url, allow_hosts)
    literal = _literal(host)
    if literal is not None:
        check_address(host, literal, allow_hosts)
        return
    try:
        addresses = await resolve(host, port)
    except UnicodeError as exc:  # a label empty or over 63 characters: no host can have it
        raise UnsafeUrl(f"not a host name: {host}") from exc
    except OSError as exc:
        if must_resolve:
            raise UnsafeUrl(f"{host} does not resolve: {exc}") from exc
        return
    for address in addresses:
        check_address(host, address, allow_hosts)
