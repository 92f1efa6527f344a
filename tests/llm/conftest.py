"""Fixtures for the LLM layer: a real local OpenAI-compatible server."""

from __future__ import annotations

import pytest

from tests.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai():
    """A started FakeOpenAI; set `.responder` in the test to script it."""
    server = FakeOpenAI().start()
    yield server
    server.stop()
