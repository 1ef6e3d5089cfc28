"""Where the chat webhook may post: public addresses only, unless the group says otherwise.

An organizer sets the webhook URL, and the server itself makes the request. Left
open, that lets anyone with the organizer role probe what answers on the server's
own network (a loopback admin port, the LAN, a cloud metadata address). So the
address is checked after DNS resolution, before connecting, and again on the
socket actually connected (a name that resolves to something else the second
time, DNS rebinding, changes nothing). Private, loopback, link-local and other
non-global addresses are refused unless ``READINGGROUP_WEBHOOK_ALLOW_PRIVATE`` is
on, for groups whose chat server is on their LAN. No proxy from the environment
is used: through one, the address connected to would say nothing about the target.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request

from django.conf import settings

# NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(OSError):
    """The webhook's host resolves to an address it may not reach."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(ip: str) -> bool:
    """True for an address on the public internet (not private, loopback, link-local,
    shared, reserved, multicast or unspecified), looking inside IPv6 forms of IPv4."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0)
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:  # what the packets really reach
            return is_public(str(inner))
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def allowed(ip: str) -> bool:
    return settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE or is_public(ip)


def check_peer(sock: socket.socket) -> None:
    """Refuse (and close) a connection whose peer is not an allowed address."""
    peer = sock.getpeername()[0]
    if not allowed(peer):
        sock.close()
        raise TargetRefused(f"{peer} is not a public address")


def connect(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """``socket.create_connection`` that connects only to allowed addresses."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    refused = [info for info in infos if not allowed(info[4][0])]
    if len(refused) == len(infos):
        raise TargetRefused(f"{host} resolves to no public address")
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        if not allowed(sockaddr[0]):
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        check_peer(sock)
        return sock
    assert error is not None
    raise error


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _HTTPSConnection(http.client.HTTPSConnection):
    # Connects to the checked address; TLS still verifies the certificate for the host name.
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _HTTPSConnection, req, context=self._context, check_hostname=self._check_hostname
        )


def opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection goes through ``connect``, with no proxy."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler, *handlers
    )
