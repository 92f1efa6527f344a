"""The annotation web app: FastAPI with server-rendered Jinja2 pages.

`create_app(run_dir)` wires the QA store, the round snapshots, authentication (annotator token
in an HttpOnly cookie), CSRF/Origin checks and security headers; routes live in `views`.
Run one process only (no --workers): the QA database has a single writer.
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from annotation_ui.body_limit import BodyLimit
from annotation_ui.errors import QAError
from annotation_ui.rounds import export_decisions, open_store
from annotation_ui.session import AppState, Forbidden, NotAuthenticated, NotFound

HERE = Path(__file__).resolve().parent
# Inline scripts and styles are refused, so even an escaping bug could not run injected code.
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


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
