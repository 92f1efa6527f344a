"""The annotation web app: FastAPI with server-rendered Jinja2 pages.

`create_app(run_dir)` wires the QA store, the round snapshots, authentication (annotator token
in an HttpOnly cookie), CSRF/Origin checks and security headers; routes live in `views`.
Run one process only (no --workers): the QA database has a single writer.
"""

from __future__ import annotations

import secrets
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from annotation_ui.body_limit import BodyLimit
from annotation_ui.errors import QAError
from annotation_ui.round_data import RoundData
from annotation_ui.rounds import export_decisions, open_store
from annotation_ui.security import COOKIE, CSRF_HEADER, csrf_ok, csrf_token, hash_token, same_origin
from annotation_ui.store import Annotator, QAStore

HERE = Path(__file__).resolve().parent
# Inline scripts and styles are refused, so even an escaping bug could not run injected code.
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


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


def create_app(run_dir: Path, secure_cookies: bool = False) -> FastAPI:
    """The app for one run folder (its qa/qa.duckdb must exist: open a round first)."""
    store = open_store(run_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        for name in store.rounds():  # leave a Parquet copy of every decision behind on shutdown
            if (run_dir / "qa" / name).exists():
                export_decisions(run_dir, store, name)
        for ctx in app.state.qa.rounds.values():
            ctx.data.images.close()
        store.close()

    app = FastAPI(title="meritgen QA", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.qa = AppState(run_dir, store, secrets.token_bytes(32), secure_cookies)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    app.state.templates = Jinja2Templates(env=env)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_handlers(app)
    from annotation_ui import views

    app.include_router(views.router)
    app.add_middleware(BodyLimit)  # outermost: an oversized body is refused before auth or form parsing
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _install_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith(("/images/", "/static/")):
            response.headers["Cache-Control"] = "no-store"  # pages hold CSRF tokens and live progress
        return response

    @app.exception_handler(NotAuthenticated)
    async def unauthenticated(request: Request, exc: NotAuthenticated):
        if _wants_json(request):
            return JSONResponse({"detail": "log in with your annotator token"}, status_code=401)
        return app.state.templates.TemplateResponse(request, "login.html", {"error": None}, status_code=401)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        message = str(exc) or "not yours: this item is assigned to another annotator"
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=403)
        return app.state.templates.TemplateResponse(request, "error.html", {"message": message}, status_code=403)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return app.state.templates.TemplateResponse(request, "error.html", {"message": str(exc)}, status_code=404)

    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return app.state.templates.TemplateResponse(request, "error.html", {"message": str(exc)}, status_code=400)
