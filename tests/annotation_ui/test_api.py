"""The live app over HTTP: authentication, authorisation, escaping, images, CSRF, concurrency."""

from __future__ import annotations

import http.client
import threading

import httpx
import pytest

from tests.annotation_ui.conftest import XSS, csrf_of, login


@pytest.fixture(scope="module")
def r1(server):
    url, app = server
    qa = app.state.qa
    return url, qa, qa.round("r1")


def _mine(ctx, who: str, only: bool = True) -> list[str]:
    return [q for q, names in ctx.assignments.items() if who in names and (not only or len(names) == 1)]


@pytest.mark.parametrize("method, path", [("get", "/"), ("get", "/api/progress"), ("get", "/items/x-en"),
                                          ("get", "/images/" + "a" * 32), ("post", "/undo"),
                                          ("post", "/items/x-en/decision"), ("get", "/adjudicate")])
def test_no_token_is_401(server, method, path):
    url, _ = server
    response = getattr(httpx, method)(url + path)
    assert response.status_code == 401
    bad = httpx.Client(base_url=url, cookies={"meritgen_qa": "forged"})
    assert getattr(bad, method)(path).status_code == 401
    assert httpx.post(url + "/login", data={"token": "forged"}).status_code == 401


def test_another_annotators_item_is_403(r1, qa_run):
    url, _, ctx = r1
    client = login(url, qa_run[1]["r1"]["a1"])
    theirs = next(q for q, names in ctx.assignments.items() if "a1" not in names)
    page = client.get("/")
    assert client.get(f"/items/{theirs}").status_code == 403
    assert client.get(f"/api/items/{theirs}").status_code == 403
    response = client.post(f"/items/{theirs}/decision", data={"action": "accept", "csrf": csrf_of(page.text)})
    assert response.status_code == 403
    assert client.get(f"/items/{_mine(ctx, 'a1')[0]}").status_code == 200
    assert client.get("/items/nonexistent-en").status_code == 404
    assert client.get("/adjudicate").status_code == 403


def test_catalog_text_is_escaped(r1, qa_run):
    url, _, ctx = r1
    planted = {pid for pid, p in ctx.data.products.items() if XSS in p["title"]}
    client = login(url, qa_run[1]["r1"]["adjudicator"])  # sees every item
    item = next(q for q, row in ctx.data.queries.items()
                if planted & set(row["positive_ids"] + row["hard_negative_ids"]))
    page = client.get(f"/items/{item}")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_images_are_served_by_id_only(r1, qa_run):
    url, _, ctx = r1
    client = login(url, qa_run[1]["r1"]["a1"])
    image_id = next(iter(ctx.data.queries.values()))["images"][0]["image_id"]
    response = client.get(f"/images/{image_id}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
    assert response.headers["etag"] == f'"{image_id}"' and "immutable" in response.headers["cache-control"]
    assert client.get(f"/images/{image_id}", headers={"If-None-Match": f'"{image_id}"'}).status_code == 304
    cookie = f"meritgen_qa={qa_run[1]['r1']['a1']}"
    for path in ["/images/../ingest/images.parquet", "/images/..%2F..%2Fingest%2Fimages.parquet", "/images/..",
                 "/images/%2e%2e%2fconfig.json", "/images/../../run/ingest/images.parquet", "/images/" + "f" * 32,
                 "/images/ZZZZ" + "0" * 28, "/images/" + image_id.upper(), f"/images/{image_id}/../{image_id}x"]:
        assert raw_get(url, path, cookie) == 404, path


def raw_get(url: str, path: str, cookie: str) -> int:
    """GET `path` byte for byte (httpx would normalise `..` away before sending it)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        return conn.getresponse().status
    finally:
        conn.close()


def test_posts_need_csrf_and_same_origin(r1, qa_run):
    url, qa, ctx = r1
    client = login(url, qa_run[1]["r1"]["a2"])
    item = _mine(ctx, "a2")[0]
    csrf = csrf_of(client.get("/").text)
    before = len(qa.store.live_decisions("r1"))
    assert client.post(f"/items/{item}/decision", data={"action": "accept"}).status_code == 403
    assert client.post(f"/items/{item}/decision", data={"action": "accept", "csrf": "0" * 64}).status_code == 403
    evil = client.post(f"/items/{item}/decision", data={"action": "accept", "csrf": csrf},
                       headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert len(qa.store.live_decisions("r1")) == before
    ok = client.post(f"/items/{item}/decision", data={"action": "accept", "csrf": csrf}, headers={"Origin": url})
    assert ok.status_code == 303
    header = client.post(f"/items/{item}/decision", data={"action": "accept"}, headers={"X-CSRF-Token": csrf})
    assert header.status_code == 303


def test_bad_edit_is_refused_with_a_message(r1, qa_run):
    url, qa, ctx = r1
    client = login(url, qa_run[1]["r1"]["a3"])
    item = next(q for q in _mine(ctx, "a3") if "<image_1>" in ctx.data.queries[q]["text"])
    csrf = csrf_of(client.get("/").text)
    before = len(qa.store.live_decisions("r1"))
    broken = ctx.data.queries[item]["text"].replace("<image_1>", "")
    response = client.post(f"/items/{item}/decision", data={"action": "edit", "text": broken, "csrf": csrf})
    assert response.status_code == 422 and "placeholders must be kept exactly" in response.text
    assert "missing &lt;image_1&gt;" in response.text
    assert len(qa.store.live_decisions("r1")) == before
    other = client.post(f"/items/{item}/decision", data={"action": "reject", "reason": "other", "csrf": csrf})
    assert other.status_code == 422 and "needs a note" in other.text


def test_disagreement_reaches_the_adjudicator(r1, qa_run):
    url, qa, ctx = r1
    toks = qa_run[1]["r1"]
    item = next(q for q, names in ctx.assignments.items() if names == ("a1", "a2"))
    for name, data in [("a1", {"action": "accept"}), ("a2", {"action": "reject", "reason": "condition_not_visible"})]:
        client = login(url, toks[name])
        response = client.post(f"/items/{item}/decision", data={**data, "csrf": csrf_of(client.get("/").text)})
        assert response.status_code == 303
    judge = login(url, toks["adjudicator"])
    listing = judge.get("/adjudicate")
    assert item in listing.text and "disagreement" in listing.text
    assert "Cohen&#39;s kappa" in listing.text or "Cohen's kappa" in listing.text
    response = judge.post(f"/items/{item}/decision", data={"action": "accept", "csrf": csrf_of(listing.text)},
                          headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json()["decision_id"] > 0
    assert judge.get("/api/progress").json()["role"] == "adjudicator"
    assert "adjudicated" in judge.get("/adjudicate").text


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_concurrent_annotators_lose_no_decision(server, qa_run):
    url, app = server
    ctx, tokens = app.state.qa.round("load"), qa_run[1]["load"]
    errors: list[str] = []
    start = threading.Barrier(20)

    def annotate(name: str) -> None:
        client = login(url, tokens[name])
        csrf, items = csrf_of(client.get("/").text), _mine(ctx, name)
        start.wait()  # all twenty post at the same time
        for i in range(50):
            action = ["accept", "reject", "edit"][i % 3]
            data = {"action": action, "csrf": csrf, "reason": "needs_no_image"}
            if action == "edit":
                data["text"] = ctx.data.queries[items[i % len(items)]]["text"] + " "
            response = client.post(f"/items/{items[i % len(items)]}/decision", data=data)
            if response.status_code != 303:
                errors.append(f"{name} #{i}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=annotate, args=(f"c{i:02d}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    rows = app.state.qa.store.decision_table("load").to_pylist()
    assert len(rows) == 1000 and len({r["decision_id"] for r in rows}) == 1000
    assert {r["annotator"] for r in rows} == set(tokens) - {"adjudicator"}
