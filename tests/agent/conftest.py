"""Agent test fixtures: a shared analyser and KB index, transcripts, the fake model server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.agent.analysis import Analyser
from gateway.agent.base import Transcript, Turn
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.factory import SAMPLE_KB
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.fake_openai import FakeOpenAI

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MakeTranscript = Callable[..., Transcript]


@pytest.fixture(scope="session")
def analyser() -> Analyser:
    """Loaded once: py3langid's model takes ~0.4 s."""
    return Analyser()


@pytest.fixture(scope="module")
def sample_index() -> Iterator[KnowledgeIndex]:
    index = KnowledgeIndex.from_folder(SAMPLE_KB)
    yield index
    index.close()


@pytest.fixture
def builtin(sample_index: KnowledgeIndex, analyser: Analyser) -> BuiltinAgent:
    """The builtin agent on the shared sample index (not closed: the index is shared)."""
    return BuiltinAgent(AgentConfig(), sample_index, analyser)


@pytest.fixture
def transcript() -> MakeTranscript:
    """transcript("text") or transcript(("customer", "a"), ("ai", "b"), name=..., subject=...)."""

    def make(*turns: str | tuple[str, str], name: str = "Anna Meyer",
             subject: str = "Question", email: str = "anna@customer.test") -> Transcript:
        pairs = [("customer", t) if isinstance(t, str) else t for t in turns]
        return Transcript(
            session_id=7, subject=subject, customer_name=name, customer_email=email,
            turns=tuple(Turn(role, text, T0 + timedelta(minutes=5 * i))
                        for i, (role, text) in enumerate(pairs)),
        )

    return make


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.close()
