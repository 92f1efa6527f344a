"""The request cache: what its key covers, and that answers persist."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from pipelines.llm.cache import RequestCache, request_key
from pipelines.llm.client import ChatRequest, Completion, image_part


def _request(image: bytes = b"\xff\xd8one", **changes) -> ChatRequest:
    part, digest = image_part(image)
    messages = ({"role": "user", "content": [{"type": "text", "text": "describe"}, part]},)
    base = ChatRequest(
        messages, {"temperature": 0.0, "max_tokens": 64}, {"type": "object"}, "answer", "judge/v1", 1, (digest,)
    )
    return replace(base, **changes)


def test_key_changes_with_what_changes_the_answer():
    key = request_key("m", _request())
    assert request_key("m", _request()) == key
    assert request_key("other-model", _request()) != key
    assert request_key("m", _request(prompt_version=2)) != key
    assert request_key("m", _request(prompt_id="judge/v1+strict")) != key
    assert request_key("m", _request(sampling={"temperature": 0.7, "max_tokens": 64})) != key
    assert request_key("m", _request(json_schema=None)) != key
    assert request_key("m", _request(image=b"\xff\xd8two")) != key


def test_key_ignores_sampling_order_and_hashes_images():
    a = _request(sampling={"temperature": 0.0, "max_tokens": 64})
    b = _request(sampling={"max_tokens": 64, "temperature": 0.0})
    assert request_key("m", a) == request_key("m", b)
    # Without precomputed hashes the data URI itself is hashed: still content-addressed.
    assert request_key("m", replace(a, image_hashes=())) == request_key("m", replace(b, image_hashes=()))


def test_answers_survive_close_and_reopen(tmp_path):
    path = tmp_path / "cache.sqlite"
    with RequestCache(path) as cache:
        cache.put("k1", Completion("hello", 3, 1, "stop"))
        assert cache.get_many(["k1", "k2"]) == {
            "k1": {"text": "hello", "prompt_tokens": 3, "completion_tokens": 1, "finish_reason": "stop"}
        }
    with RequestCache(path) as cache:
        assert cache.get_many(["k1"])["k1"]["text"] == "hello"
        assert len(cache) == 1


def test_writes_are_batched_then_committed(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = RequestCache(path, commit_every=3, commit_interval_s=3600)

    def committed() -> int:
        with sqlite3.connect(path) as other:  # another connection sees only committed rows
            return other.execute("SELECT count(*) FROM completions").fetchone()[0]

    cache.put("a", Completion("1", 1, 1, "stop"))
    cache.put("b", Completion("2", 1, 1, "stop"))
    assert committed() == 0 and set(cache.get_many(["a", "b"])) == {"a", "b"}
    cache.put("c", Completion("3", 1, 1, "stop"))
    assert committed() == 3
    cache.put("d", Completion("4", 1, 1, "stop"))
    cache.close()
    assert committed() == 4


def test_many_keys_are_read_in_chunks(tmp_path):
    with RequestCache(tmp_path / "c.sqlite", commit_every=10_000) as cache:
        for i in range(2500):
            cache.put(f"k{i}", Completion(str(i), 1, 1, "stop"))
        cache.flush()
        found = cache.get_many([f"k{i}" for i in range(0, 3000)])
    assert len(found) == 2500 and found["k2499"]["text"] == "2499"


def test_a_batch_being_written_stays_readable_and_lands_once(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = RequestCache(path, commit_every=2, commit_interval_s=3600)
    cache.put("a", Completion("1", 1, 1, "stop"), commit_when_due=False)
    cache.put("b", Completion("2", 1, 1, "stop"), commit_when_due=False)
    assert cache.due() and set(cache.get_many(["a", "b"])) == {"a", "b"}
    batch = cache.take_batch()  # handed to a writer: neither pending nor committed yet
    assert not cache.due() and set(batch) == {"a", "b"} and set(cache.get_many(["a", "b"])) == {"a", "b"}
    cache.commit_batch(batch)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT count(*) FROM completions").fetchone()[0] == 2
    assert cache.get_many(["a"])["a"]["text"] == "1"
    cache.close()


def test_a_cache_opened_while_another_process_holds_the_new_file_waits_for_it(tmp_path):
    """Several Beam workers open one new cache together: switching the file to WAL meets another connection's
    write lock, and SQLite says "database is locked" at once, whatever the busy timeout. The cache waits
    for the lock instead (was: the worker's setup failed, tests/beam/test_llm_parity.py flaked)."""
    import sqlite3
    import threading

    from pipelines.llm.cache import RequestCache

    path = tmp_path / "cache.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other VALUES (1)")
    timer = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        with RequestCache(path) as cache:
            cache.put("k", Completion("v", 1, 1, "stop"))
            assert list(cache.get_many(["k"])) == ["k"]
    finally:
        timer.join()
        holder.close()
