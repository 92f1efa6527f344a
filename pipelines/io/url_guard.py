"""Which addresses an image URL may reach: global unicast only (IPv4 carried in IPv6 judged by its
IPv4 address), checked on the socket actually connected, and a deadline over the whole answer.
Used by `image_source.fetch_url`.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """A global unicast address; IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo,
    NAT64) are judged by the IPv4 address they lead to."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


class ConnectionGuard:
    """Checks the address actually connected to and shuts the socket down at the deadline.

    httpx's timeouts bound each read, not the whole answer: a server sending a byte every few
    seconds never trips them. The guard's timer shuts the connection's socket down, which wakes
    the blocked read. Checking the connected peer (not only the resolved name) also defeats a
    DNS answer that changes between the check and the connection.
    """

    def __init__(self, allow_private: bool, seconds: float) -> None:
        self.allow_private, self.refused, self.expired = allow_private, False, False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if not self.allow_private and event == "connection.connect_tcp.complete" and not is_public(sock.getpeername()[0]):
            self.refused = True
            shutdown(sock)
        if expired:
            shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            shutdown(sock)


def shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
