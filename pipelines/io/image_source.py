"""Load one image reference of an untrusted catalog: a confined local file or a guarded URL.

A catalog is data from outside, so what its image references may reach is decided here, not
by the catalog: local paths resolve (symlinks included) inside the image roots only, only
regular files are opened and read up to a byte cap; URLs are fetched with a byte cap, one
total deadline per image, a redirect limit and, by default, never from loopback, link-local,
private or reserved addresses. Every failure is a blob with a stable error message (no
object addresses, no timings), so two runs over the same inputs write the same reject rows.
"""

from __future__ import annotations

import os
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipelines.config import CatalogConfig
from pipelines.io.url_guard import ConnectionGuard, is_public

MAX_IMAGE_FILE_BYTES = CatalogConfig.max_image_bytes  # the default cap, for readers without a config
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ImageSourcePolicy:
    """Where image references may point, from the catalog config (see README "Untrusted catalogs")."""

    images_dir: Path  # relative refs resolve here
    roots: tuple[Path, ...]  # resolved folders a local image may live in
    allow_private_urls: bool = False
    url_deadline_s: float = 30.0
    max_redirects: int = 3
    max_bytes: int = MAX_IMAGE_FILE_BYTES


def policy_for(images_dir: str | Path, cfg: CatalogConfig | None = None) -> ImageSourcePolicy:
    """The policy of a catalog whose relative image refs resolve in `images_dir`."""
    cfg = cfg or CatalogConfig()
    images_dir = Path(images_dir)
    extra = (images_dir / Path(root).expanduser() for root in cfg.extra_image_roots)  # relative: to images_dir
    roots = tuple(dict.fromkeys(os.path.realpath(p) for p in (images_dir, *extra)))
    return ImageSourcePolicy(images_dir, tuple(Path(r) for r in roots), cfg.allow_private_image_urls,
                             cfg.image_url_deadline_s, cfg.image_url_max_redirects, cfg.max_image_bytes)


def image_client() -> httpx.Client:
    """The HTTP client image fetches share. trust_env=False: an environment proxy would hide the
    address actually connected to, which the private-address check must see."""
    return httpx.Client(follow_redirects=False, trust_env=False)


class RefRejected(Exception):
    """An image reference that must not or cannot be loaded; the message is the reject text."""


def load_ref(ref, policy: ImageSourcePolicy, client: httpx.Client) -> dict:
    """{ref, bytes, error} for one image reference; never raises for a bad reference."""
    shown = ref if isinstance(ref, str) else repr(ref)
    try:
        if not isinstance(ref, str):
            raise RefRejected(f"image reference must be a string, got {type(ref).__name__}")
        if "\x00" in ref:
            raise RefRejected("image reference contains a NUL byte")
        if is_url(ref):
            data = fetch_url(ref, policy, client)
        else:
            data = read_local(ref, policy)
    except RefRejected as exc:
        return {"ref": shown, "bytes": None, "error": str(exc)}
    except Exception as exc:  # one odd reference must be a reject row, never a crashed build
        return {"ref": shown, "bytes": None, "error": f"cannot load image: {type(exc).__name__}"}
    return {"ref": shown, "bytes": data, "error": None}


def is_url(ref: str) -> bool:
    """A ref with a scheme is fetched (and refused unless http/https), never read as a file name."""
    return "://" in ref or ref.lower().startswith(("http:", "https:"))


def local_state(ref: str, policy: ImageSourcePolicy) -> str:
    """What a local ref's loading depends on, for the ingest fingerprint: its file's size+mtime_ns."""
    try:
        info = os.stat(resolve_local(ref, policy))
    except RefRejected as exc:
        return f"{ref}:{exc}"
    except (OSError, ValueError) as exc:
        return f"{ref}:{_os_reason(exc)}"
    return f"{ref}:{info.st_size}:{info.st_mtime_ns}"


def resolve_local(ref: str, policy: ImageSourcePolicy) -> Path:
    """The real path of a local ref, after every symlink, if it lies inside an image root."""
    candidate = policy.images_dir / ref  # an absolute ref replaces the folder, and must then be in a root
    try:
        real = Path(os.path.realpath(candidate))
    except (OSError, ValueError) as exc:
        raise RefRejected(f"cannot read image file: {_os_reason(exc)}") from None
    if not any(real == root or root in real.parents for root in policy.roots):
        raise RefRejected("image path is outside the catalog's image folder (absolute, '..' or a symlink "
                          "leaving it); list extra folders in catalog.extra_image_roots to allow them")
    return real


def read_local(ref: str, policy: ImageSourcePolicy) -> bytes:
    """A confined regular file's bytes, at most the byte cap, read without blocking on FIFOs."""
    real = resolve_local(ref, policy)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was just resolved,
        # a symlink swapped in since then is refused instead of followed.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise RefRejected(f"cannot read image file: {_os_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefRejected(f"image path is not a regular file ({_file_kind(info.st_mode)})")
        if info.st_size > policy.max_bytes:
            raise RefRejected(f"image file over {policy.max_bytes} bytes")
        data = _read_capped(fd, policy.max_bytes)
    except OSError as exc:
        raise RefRejected(f"cannot read image file: {_os_reason(exc)}") from None
    finally:
        os.close(fd)
    if data is None:
        raise RefRejected(f"image file over {policy.max_bytes} bytes")
    return data


def _read_capped(fd: int, cap: int) -> bytes | None:
    """At most cap bytes (None when there are more): a file growing while read stays bounded."""
    parts, size = [], 0
    while chunk := os.read(fd, min(_CHUNK, cap + 1 - size)):
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            return None
    return b"".join(parts)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _os_reason(exc: Exception) -> str:
    """The OS's words for an errno (stable across runs), never the exception's repr."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno)
    return type(exc).__name__


def fetch_url(url: str, policy: ImageSourcePolicy, client: httpx.Client) -> bytes:
    """The body of an http(s) image URL within the policy's deadline, byte cap and redirect limit."""
    deadline = time.monotonic() + policy.url_deadline_s
    for _ in range(policy.max_redirects + 1):
        target = _checked_url(url, policy)
        response_or_next = _fetch_once(target, policy, client, deadline)
        if isinstance(response_or_next, bytes):
            return response_or_next
        url = response_or_next
    raise RefRejected(f"cannot fetch image: more than {policy.max_redirects} redirects")


def _checked_url(url: str, policy: ImageSourcePolicy) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise RefRejected("cannot fetch image: invalid URL") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise RefRejected("cannot fetch image: only http(s) URLs with a host are allowed")
    if not policy.allow_private_urls:
        for address in _addresses(target.host, target.port or (443 if target.scheme == "https" else 80)):
            if not is_public(address):
                raise RefRejected(f"cannot fetch image: host {target.host!r} is a loopback, link-local, private or "
                                  "reserved address; set catalog.allow_private_image_urls to allow it")
    return target


def _addresses(host: str, port: int) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except (OSError, UnicodeError, ValueError):
        raise RefRejected(f"cannot fetch image: cannot resolve host {host!r}") from None


def _fetch_once(target: httpx.URL, policy: ImageSourcePolicy, client: httpx.Client, deadline: float) -> bytes | str:
    """The body of one request, or the next URL when it redirects."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RefRejected(f"cannot fetch image: no answer within {policy.url_deadline_s:g} s")
    guard = ConnectionGuard(policy.allow_private_urls, remaining)
    try:
        # Connection: close, so every request opens its own connection and the guard sees its socket.
        headers = {"Connection": "close", "Accept-Encoding": "identity"}
        with guard, client.stream("GET", target, headers=headers, timeout=httpx.Timeout(remaining),
                                  extensions={"trace": guard.trace}) as response:
            if response.is_redirect and "location" in response.headers:
                return str(target.join(response.headers["location"]))
            if response.status_code != 200:
                raise RefRejected(f"cannot fetch image: HTTP {response.status_code}")
            return _read_body(response, policy.max_bytes, deadline, guard)
    except RefRejected:
        raise
    except Exception as exc:  # httpx errors, and errors of a socket the guard shut down
        if guard.refused:
            raise RefRejected("cannot fetch image: connected to a loopback, link-local, private or reserved "
                              "address; set catalog.allow_private_image_urls to allow it") from None
        if guard.expired or isinstance(exc, httpx.TimeoutException):
            raise RefRejected(f"cannot fetch image: no complete answer within {policy.url_deadline_s:g} s") from None
        raise RefRejected(f"cannot fetch image: {type(exc).__name__}") from None


def _read_body(response: httpx.Response, cap: int, deadline: float, guard: ConnectionGuard) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise RefRejected(f"cannot fetch image: body over {cap} bytes")
    parts, size = [], 0
    for chunk in response.iter_bytes(_CHUNK):  # decoded: the cap bounds what a gzip body expands to
        size += len(chunk)
        if size > cap:
            raise RefRejected(f"cannot fetch image: body over {cap} bytes")
        if time.monotonic() > deadline:
            guard.expired = True
            raise httpx.ReadTimeout("deadline")
        parts.append(chunk)
    return b"".join(parts)
