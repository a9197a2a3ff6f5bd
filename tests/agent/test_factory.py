"""build_agent wiring, custom knowledge bases, and the never-raise boundary."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.agent import EscalationReason, Reply, build_agent
from gateway.agent.base import Escalation
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.openai import OpenAIAgent
from gateway.config import AgentConfig, Secrets
from gateway.errors import ConfigError
from tests.agent.conftest import MakeTranscript
from tests.agent.fake_openai import FakeOpenAI


async def test_default_is_builtin_on_the_sample_kb(transcript: MakeTranscript) -> None:
    agent = build_agent(AgentConfig(), Secrets())
    try:
        assert isinstance(agent, BuiltinAgent)
        decision = await agent.decide(transcript("How long is a password reset link valid?"))
        assert isinstance(decision.action, Reply)
        assert "60 minutes" in decision.action.markdown
    finally:
        await agent.close()


async def test_custom_knowledge_base(tmp_path: Path, transcript: MakeTranscript) -> None:
    (tmp_path / "returns.md").write_text(
        "# Rücksendungen\n\nSie können jedes Fahrrad innerhalb von 30 Tagen zurücksenden. "
        "Das Rücksendeetikett finden Sie im Kundenkonto.\n"
        "# Lieferung\n\nWir liefern Fahrräder innerhalb von 5 Werktagen.\n"
        "# Zahlung\n\nSie zahlen per Rechnung, Kreditkarte oder PayPal.\n"
        "# Garantie\n\nAuf Rahmen gewähren wir 10 Jahre Garantie.\n")
    agent = build_agent(AgentConfig(knowledge_base=tmp_path), Secrets())
    try:
        decision = await agent.decide(transcript(
            "Kann ich mein Fahrrad zurücksenden? Wo finde ich das Rücksendeetikett?",
            name="Jonas Weber", subject="Fahrrad"))
        assert isinstance(decision.action, Reply), decision.action
        assert decision.action.sources == ("returns#rucksendungen",)
        assert decision.action.markdown.startswith("Hallo Jonas,\n\ndanke für Ihre Nachricht.")
        assert "Englisch" not in decision.action.markdown  # the KB is German
    finally:
        await agent.close()


def test_missing_knowledge_base_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="knowledge_base"):
        build_agent(AgentConfig(knowledge_base=tmp_path / "nope"), Secrets())


async def test_openai_kind_uses_the_secret_key(fake_openai: FakeOpenAI,
                                               transcript: MakeTranscript) -> None:
    cfg = AgentConfig.model_validate({"kind": "openai", "openai": {
        "base_url": fake_openai.base_url, "max_retries": 0}})
    agent = build_agent(cfg, Secrets.from_env({"OPENCX_GATEWAY_OPENAI_API_KEY": "sk-env"}))
    try:
        assert isinstance(agent, OpenAIAgent)
        fake_openai.content("Hi Anna, see Settings → Billing → Invoices."
                            " [billing#download-an-invoice-or-receipt]")
        decision = await agent.decide(transcript("Where are my invoices?"))
        assert isinstance(decision.action, Reply)
        assert fake_openai.requests[0].headers["Authorization"] == "Bearer sk-env"
    finally:
        await agent.close()


async def test_decide_never_raises(transcript: MakeTranscript) -> None:
    agent = build_agent(AgentConfig(), Secrets())
    agent.index.close()  # type: ignore[attr-defined]  # retrieval will now fail
    decision = await agent.decide(transcript("How do I reset my password?"))
    assert isinstance(decision.action, Escalation)
    assert decision.action.reason == EscalationReason.AGENT_ERROR
    assert "ProgrammingError" in decision.action.detail
    assert decision.analysis.language == "en"


async def test_no_customer_turn_and_empty_text(transcript: MakeTranscript) -> None:
    agent = build_agent(AgentConfig(), Secrets())
    try:
        nothing = await agent.decide(transcript(("ai", "Hello!")))
        assert isinstance(nothing.action, Escalation)
        assert nothing.action.reason == EscalationReason.AGENT_ERROR
        empty = await agent.decide(transcript("", subject=""))
        assert isinstance(empty.action, Escalation)
        assert empty.action.reason == EscalationReason.MISSING_KNOWLEDGE
    finally:
        await agent.close()


async def test_analyse_for_manual_handoff(transcript: MakeTranscript) -> None:
    agent = build_agent(AgentConfig(), Secrets())
    try:
        analysis = await agent.analyse(transcript("Bonjour, ma facture est introuvable.",
                                                  subject="Facture"))
        assert analysis.language == "fr"
        assert analysis.summary == ("Subject: Facture. 1 customer mail. "
                                    "Customer: Bonjour, ma facture est introuvable.")
    finally:
        await agent.close()


async def test_a_pasted_log_does_not_stall(transcript: MakeTranscript) -> None:
    agent = build_agent(AgentConfig(), Secrets())
    log_dump = "\n".join(f"2025-03-03 09:{n % 60:02d} sync worker retry file_{n}.pdf failed "
                         "with error code 17, will retry" for n in range(1500))
    try:
        await agent.analyse(transcript("warm up"))
        started = time.perf_counter()
        decision = await agent.decide(transcript(log_dump + "\nPlease speak to a human."))
        assert time.perf_counter() - started < 1.0  # ~0.1 s; ~1 s without the 6000-char cap
        assert isinstance(decision.action, Escalation)
        assert decision.action.reason == EscalationReason.USER_REQUEST  # policy scans it all
    finally:
        await agent.close()
