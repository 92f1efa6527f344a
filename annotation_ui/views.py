"""Routes of the annotation app: login, round overview, item pages, decisions, undo, adjudication.

Every route except /login and /static needs a valid annotator token (401 otherwise); item routes
also check the assignment (403 for another annotator's item). POSTs go through `check_post`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from annotation_ui.decisions import (
    REASONS,
    current_decisions,
    progress,
    resolve_round,
    round_agreement,
    validate_decision,
)
from annotation_ui.edits import check_placeholders
from annotation_ui.errors import DecisionError, PlaceholderError
from annotation_ui.images import media_type
from annotation_ui.rounds import write_status_snapshot
from annotation_ui.security import COOKIE
from annotation_ui.session import Forbidden, NotFound, check_post, current_user, page_csrf, state_of
from annotation_ui.store import Annotator
from annotation_ui.view_models import REASON_KEYS, REASON_TEXT, decision_label, item_view

router = APIRouter()
User = Annotated[Annotator, Depends(current_user)]  # every route but /login needs a logged-in account
OptForm = Annotated[str | None, Form()]
IMAGE_CACHE = "private, max-age=31536000, immutable"  # an image id is its content hash: it never changes


def render(request: Request, name: str, context: dict, status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html", {"error": None})


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()] = "") -> Response:
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is not None and origin != expected:
        raise Forbidden("cross-site login refused")
    if not token or state_of(request).account(token.strip()) is None:
        return render(request, "login.html", {"error": "Unknown token: check the token you were given."}, 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict",
                        secure=state_of(request).secure_cookies, max_age=14 * 24 * 3600)
    return response


@router.post("/logout")
def logout(request: Request, who: User, csrf: OptForm = None) -> Response:
    check_post(request, csrf)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _queue(request: Request, who: Annotator) -> list[str]:
    """Query ids this account works through, in round order (everything, for the adjudicator)."""
    ctx = state_of(request).round(who.round)
    if who.role == "adjudicator":
        return [i["query_id"] for i in ctx.items]
    return [i["query_id"] for i in ctx.items if who.name in ctx.assignments[i["query_id"]]]


def _round_summary(request: Request, who: Annotator) -> dict:
    """Progress numbers for the header: mine, and the round's resolutions."""
    store, ctx = state_of(request).store, state_of(request).round(who.round)
    log = store.live_decisions(who.round)
    resolutions = resolve_round(ctx.assignments, log)
    mine = progress(ctx.assignments, log).get(who.name, {"done": 0, "total": 0})
    if who.role == "adjudicator":
        open_ = [q for q, r in resolutions.items() if r.status == "disagreement"]
        mine = {"done": sum(r.status == "adjudicated" for r in resolutions.values()),
                "total": len(open_) + sum(r.status == "adjudicated" for r in resolutions.values())}
    final = sum(r.final for r in resolutions.values())
    return {"mine": mine, "final": final, "n_items": len(resolutions), "resolutions": resolutions, "log": log}


def _next_url(request: Request, who: Annotator, after: str | None) -> str:
    """The next item still to do after `after` (wrapping around), or the round page."""
    store = state_of(request).store
    if who.role == "adjudicator":
        summary = _round_summary(request, who)
        todo = [q for q in _queue(request, who) if summary["resolutions"][q].status == "disagreement"]
    else:
        done = store.decided_by(who.round, who)
        todo = [q for q in _queue(request, who) if q not in done]
    if not todo:
        return "/adjudicate" if who.role == "adjudicator" else "/"
    queue = _queue(request, who)
    start = queue.index(after) + 1 if after in queue else 0
    ordered = queue[start:] + queue[:start]
    return f"/items/{next(q for q in ordered if q in set(todo))}"


def _check_access(request: Request, who: Annotator, query_id: str) -> dict:
    """The item's query row, or 404 (not in the round) / 403 (assigned to someone else)."""
    ctx = state_of(request).round(who.round)
    if query_id not in ctx.assignments:
        raise NotFound(f"no item {query_id!r} in round {who.round!r}")
    if who.role != "adjudicator" and who.name not in ctx.assignments[query_id]:
        raise Forbidden()
    return ctx.data.queries[query_id]


@router.get("/")
def dashboard(request: Request, who: User) -> Response:
    summary = _round_summary(request, who)
    current = current_decisions(summary["log"])
    rows = [{"query_id": q, "position": state_of(request).round(who.round).position[q],
             "status": decision_label(current.get(q, {}).get(who.name)) if who.role != "adjudicator"
             else summary["resolutions"][q].status} for q in _queue(request, who)]
    return render(request, "dashboard.html", {"who": who, "summary": summary, "rows": rows,
                                              "next_url": _next_url(request, who, None), "csrf": page_csrf(request)})


def _item_context(request: Request, who: Annotator, query_id: str, query: dict) -> dict:
    ctx, summary = state_of(request).round(who.round), _round_summary(request, who)
    decisions = current_decisions(summary["log"]).get(query_id, {})
    queue = _queue(request, who)
    i = queue.index(query_id) if query_id in queue else 0
    others = [(a, decision_label(decisions.get(a))) for a in ctx.assignments[query_id]]
    return {"who": who, "summary": summary, "item": item_view(query, ctx.data.products), "csrf": page_csrf(request),
            "mine": decisions.get(who.name), "mine_label": decision_label(decisions.get(who.name)),
            "others": others if who.role == "adjudicator" else [],
            "resolution": summary["resolutions"][query_id], "reasons": REASONS, "reason_keys": REASON_KEYS,
            "reason_text": REASON_TEXT, "index": i + 1, "queue_len": len(queue),
            "prev_url": f"/items/{queue[i - 1]}" if i > 0 else None,
            "next_in_queue": f"/items/{queue[i + 1]}" if i + 1 < len(queue) else None,
            "error": None, "edit_text": (decisions.get(who.name) or {}).get("text") or query["text"]}


@router.get("/items/{query_id}")
def item_page(request: Request, query_id: str, who: User) -> Response:
    query = _check_access(request, who, query_id)
    return render(request, "item.html", _item_context(request, who, query_id, query))


@router.post("/items/{query_id}/decision")
def decide(request: Request, query_id: str, who: User, action: Annotated[str, Form()], reason: OptForm = None,
           note: OptForm = None, text: OptForm = None, csrf: OptForm = None) -> Response:
    check_post(request, csrf)
    query = _check_access(request, who, query_id)
    try:
        reason, note = validate_decision(action, reason, note)
        text = check_placeholders(query["text"], text or "") if action == "edit" else None
    except (DecisionError, PlaceholderError) as exc:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        context = _item_context(request, who, query_id, query)
        context.update(error=str(exc), edit_text=text if text is not None else context["edit_text"])
        return render(request, "item.html", context, 422)
    decision_id = state_of(request).store.record(who.round, who, query_id, action, reason, note, text)
    _publish_status(request, who.round)
    next_url = _next_url(request, who, query_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"decision_id": decision_id, "next": next_url})
    return RedirectResponse(next_url, status_code=303)


def _publish_status(request: Request, round_name: str) -> None:
    """`qa status` reads this snapshot while the server holds the database."""
    state = state_of(request)
    write_status_snapshot(state.run_dir, state.store, round_name)


@router.post("/undo")
def undo(request: Request, who: User, csrf: OptForm = None) -> Response:
    check_post(request, csrf)
    query_id = state_of(request).store.undo_last(who.round, who)
    _publish_status(request, who.round)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"undone": query_id})
    return RedirectResponse(f"/items/{query_id}" if query_id else "/", status_code=303)


@router.get("/adjudicate")
def adjudicate(request: Request, who: User) -> Response:
    if who.role != "adjudicator":
        raise Forbidden("only the round's adjudicator can open the adjudication view")
    summary = _round_summary(request, who)
    current = current_decisions(summary["log"])
    ctx = state_of(request).round(who.round)
    rows = [{"query_id": q, "status": r.status, "language": ctx.data.queries[q]["language"],
             "decisions": [(a, decision_label(current.get(q, {}).get(a))) for a in ctx.assignments[q]]}
            for q, r in summary["resolutions"].items() if r.status in ("disagreement", "adjudicated")]
    agreement = round_agreement(ctx.assignments, summary["log"])
    return render(request, "adjudicate.html", {"who": who, "summary": summary, "rows": rows, "agreement": agreement,
                                               "csrf": page_csrf(request)})


@router.get("/images/{image_id}")
def image(request: Request, image_id: str, who: User) -> Response:
    data = state_of(request).round(who.round).data.images.get(image_id)
    if data is None:
        return Response("image not found", status_code=404, media_type="text/plain")
    headers = {"ETag": f'"{image_id}"', "Cache-Control": IMAGE_CACHE}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type(data), headers=headers)


@router.get("/api/progress")
def api_progress(request: Request, who: User) -> dict:
    summary = _round_summary(request, who)
    statuses = [r.status for r in summary["resolutions"].values()]
    return {"round": who.round, "annotator": who.name, "role": who.role, "mine": summary["mine"],
            "items": summary["n_items"], "final": summary["final"], "pending": statuses.count("pending"),
            "disagreements": statuses.count("disagreement")}


@router.get("/api/items/{query_id}")
def api_item(request: Request, query_id: str, who: User) -> dict:
    query = _check_access(request, who, query_id)
    return item_view(query, state_of(request).round(who.round).data.products)

