"""A request's side of the annotation app, shared by `app.py` (which builds the app and answers the errors)
and `views.py` (the routes): the app's in-memory state, the logged-in annotator, CSRF/Origin checks, and the
errors a route raises. Its own module so that `app.py` imports `views.py` without an import circle."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from annotation_ui.round_data import RoundData
from annotation_ui.security import COOKIE, CSRF_HEADER, csrf_ok, csrf_token, hash_token, same_origin
from annotation_ui.store import Annotator, QAStore


class NotAuthenticated(Exception):
    """No valid annotator token: answered with 401 (the login page for browsers)."""


class NotFound(Exception):
    """No such item in the account's round: 404."""


class Forbidden(Exception):
    """Authenticated, but not allowed (another annotator's item, a failed CSRF/Origin check)."""


@dataclass
class RoundContext:
    """What the app keeps in memory for one round: its snapshot, items in queue order, assignments."""

    data: RoundData
    items: list[dict]
    assignments: dict[str, tuple[str, ...]]
    position: dict[str, int] = field(default_factory=dict)


@dataclass
class AppState:
    run_dir: Path
    store: QAStore
    secret: bytes
    secure_cookies: bool
    rounds: dict[str, RoundContext] = field(default_factory=dict)
    accounts: dict[str, Annotator] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def account(self, token: str) -> Annotator | None:
        """The account of a token (cached; accounts never change once a round is open)."""
        key = hash_token(token)
        if key not in self.accounts:
            found = self.store.account(key)
            if found is None:
                return None
            self.accounts[key] = found
        return self.accounts[key]

    def round(self, name: str) -> RoundContext:
        """The round's context, loaded once on first use."""
        with self.lock:
            if name not in self.rounds:
                items = self.store.items(name)
                ctx = RoundContext(RoundData.load(self.run_dir, name), items, self.store.assignments(name))
                ctx.position = {item["query_id"]: item["position"] for item in items}
                self.rounds[name] = ctx
            return self.rounds[name]


def state_of(request: Request) -> AppState:
    return request.app.state.qa


def current_user(request: Request) -> Annotator:
    """FastAPI dependency: the logged-in annotator, or NotAuthenticated (401)."""
    token = request.cookies.get(COOKIE)
    who = state_of(request).account(token) if token else None
    if who is None:
        raise NotAuthenticated()
    request.state.token = token
    return who


def page_csrf(request: Request) -> str:
    return csrf_token(state_of(request).secret, request.state.token)


def check_post(request: Request, supplied: str | None) -> None:
    """Refuse cross-site POSTs: the Origin (or Referer) must be ours and the CSRF token valid."""
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if not same_origin(request.headers.get("origin"), request.headers.get("referer"), expected):
        raise Forbidden("cross-site request refused (Origin does not match this server)")
    supplied = supplied or request.headers.get(CSRF_HEADER)
    if not csrf_ok(state_of(request).secret, request.state.token, supplied):
        raise Forbidden("missing or invalid CSRF token; reload the page and try again")
