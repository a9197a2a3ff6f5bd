"""The OpenAI-compatible agent against the fake server in tests/agent/fake_openai.py."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from gateway.agent.analysis import Analyser
from gateway.agent.base import Decision, Escalation, EscalationReason, Reply
from gateway.agent.openai import OpenAIAgent, parse_completion
from gateway.config import AgentConfig, OpenAIConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript
from tests.agent.fake_openai import FakeOpenAI, completion

MakeAgent = Callable[..., OpenAIAgent]
QUESTION = "Hello, I forgot my password. How can I reset it?"


@pytest.fixture
async def make_agent(fake_openai: FakeOpenAI, sample_index: KnowledgeIndex,
                     analyser: Analyser) -> AsyncIterator[MakeAgent]:
    agents: list[OpenAIAgent] = []

    def make(api_key: str | None = "sk-test", session: aiohttp.ClientSession | None = None,
             **openai: object) -> OpenAIAgent:
        ocfg = {"base_url": fake_openai.base_url, "model": "fake-model", "timeout": 0.5,
                "max_retries": 1, "backoff_seconds": 0.01, **openai}
        cfg = AgentConfig(kind="openai", openai=OpenAIConfig(**ocfg))  # type: ignore[arg-type]
        agent = OpenAIAgent(cfg, sample_index, api_key=api_key, session=session,
                            analyser=analyser)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        await agent.client.close()  # not agent.close(): the index is shared by the module


def reason_of(decision: Decision) -> EscalationReason:
    assert isinstance(decision.action, Escalation), decision.action
    return decision.action.reason


async def test_reply_with_passages_transcript_and_auth(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    fake_openai.content("Hi Anna,\n\nClick **Forgot password?** on the login page."
                        " [account-access#reset-your-password]\n\nBest regards,\nAcme Support")
    decision = await make_agent().decide(transcript(QUESTION, subject="Login"))
    assert isinstance(decision.action, Reply)
    assert decision.action.markdown == (  # sign-off and citation stripped, no raw **
        "Hi Anna,\n\nClick Forgot password? on the login page.\n")
    assert decision.action.sources[0] == "account-access#reset-your-password"
    assert decision.analysis.language == "en"

    (request,) = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    body = request.body
    assert body["model"] == "fake-model" and body["temperature"] == 0.2
    assert body["tools"][0]["function"]["name"] == "escalate_to_human"
    assert "missing_knowledge" in body["tools"][0]["function"]["parameters"]["properties"][
        "reason"]["enum"]
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "[account-access#reset-your-password]" in system["content"]
    assert "by name (Anna)" in system["content"] and "signature" in system["content"]
    assert user == {"role": "user", "content": f"Subject: Login\n\n{QUESTION}"}


async def test_no_authorization_header_without_a_key(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    fake_openai.content("Hi Anna, here you go.")
    await make_agent(api_key=None).decide(transcript(QUESTION))
    assert "Authorization" not in fake_openai.requests[0].headers


async def test_transcript_roles(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                transcript: MakeTranscript) -> None:
    fake_openai.content("Sure.")
    await make_agent().decide(transcript("First?", ("ai", "Answer."), ("agent", "Human here."),
                                         "Second question about invoices?"))
    roles = [(m["role"], m["content"]) for m in fake_openai.requests[0].body["messages"][1:]]
    assert roles == [("user", "Subject: Question\n\nFirst?"), ("assistant", "Answer."),
                     ("assistant", "(human support agent) Human here."),
                     ("user", "Second question about invoices?")]


async def test_tool_call_escalation(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                    transcript: MakeTranscript) -> None:
    fake_openai.tool_call("missing_knowledge", "Asks about SCIM, not in the KB.")
    decision = await make_agent().decide(transcript("Do you support SCIM provisioning?"))
    assert reason_of(decision) == EscalationReason.MISSING_KNOWLEDGE
    assert isinstance(decision.action, Escalation)
    assert decision.action.detail == "model escalated: Asks about SCIM, not in the KB."
    assert decision.action.summary.endswith(
        "Escalated because the knowledge base does not answer the question.")


async def test_json_fallback(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                             transcript: MakeTranscript) -> None:
    agent = make_agent()
    fake_openai.json({"action": "reply", "markdown": "Hi Anna,\n\nUse **Forgot password?**."
                                                 " [account-access#reset-your-password]"})
    reply = (await agent.decide(transcript(QUESTION))).action
    assert isinstance(reply, Reply) and reply.markdown.startswith("Hi Anna,")
    fake_openai.content('```json\n{"action": "escalate", "reason": "user_request", '
                        '"summary": "wants a call"}\n```')
    assert reason_of(await agent.decide(transcript(QUESTION))) == EscalationReason.USER_REQUEST


async def test_json_only_mode_without_tools(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                            transcript: MakeTranscript) -> None:
    agent = make_agent(tools=False)
    fake_openai.json({"action": "reply",
                      "markdown": "Hi Anna, done. [account-access#reset-your-password]"})
    assert isinstance((await agent.decide(transcript(QUESTION))).action, Reply)
    body = fake_openai.requests[0].body
    assert "tools" not in body and body["response_format"] == {"type": "json_object"}
    assert '{"action": "reply"' in body["messages"][0]["content"]
    fake_openai.content("Plain prose is not JSON.")
    assert reason_of(await agent.decide(transcript(QUESTION))) == EscalationReason.AGENT_ERROR


async def test_500_then_success_is_retried(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                           transcript: MakeTranscript) -> None:
    fake_openai.status(500)
    fake_openai.content("Hi Anna, second time lucky. [account-access#reset-your-password]")
    decision = await make_agent().decide(transcript(QUESTION))
    assert isinstance(decision.action, Reply)
    assert len(fake_openai.requests) == 2


async def test_persistent_5xx_and_429_give_agent_error(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    fake_openai.status(503)
    fake_openai.status(429, "rate limited")
    decision = await make_agent().decide(transcript(QUESTION))
    assert reason_of(decision) == EscalationReason.AGENT_ERROR
    assert isinstance(decision.action, Escalation)
    assert "HTTP 429 (after 2 attempts)" in decision.action.detail
    assert len(fake_openai.requests) == 2


async def test_hang_times_out_into_agent_error(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                               transcript: MakeTranscript) -> None:
    fake_openai.hang()
    fake_openai.hang()
    started = time.monotonic()
    decision = await make_agent(timeout=0.3).decide(transcript(QUESTION))
    assert reason_of(decision) == EscalationReason.AGENT_ERROR
    assert isinstance(decision.action, Escalation) and "timeout" in decision.action.detail
    assert len(fake_openai.requests) == 2  # one retry
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("script", [
    lambda f: f.raw("{not json"),
    lambda f: f.raw("<html>Bad gateway</html>", "text/html"),
    lambda f: f.raw(json.dumps({"choices": []})),
    lambda f: f.content(None),
    lambda f: f.content("   "),
    lambda f: f.content('{"action": "reply", "markdown": '),
    lambda f: f.json({"action": "dance"}),
    lambda f: f.tool_call("missing_knowledge", "x", name="delete_everything"),
    lambda f: f.tool_call("", "", arguments="{broken"),
    lambda f: f.tool_call("agent_error", "the model may not pick this one"),
    lambda f: f.tool_call("free_pizza", "not a reason"),
    lambda f: f.status(400, "bad request"),
    lambda f: f.status(401, "invalid api key"),
])
async def test_malformed_answers_give_agent_error_without_retry(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript,
        script: Callable[[FakeOpenAI], None]) -> None:
    script(fake_openai)
    decision = await make_agent().decide(transcript(QUESTION))
    assert reason_of(decision) == EscalationReason.AGENT_ERROR
    assert len(fake_openai.requests) == 1
    assert decision.analysis.language == "en"  # the analysis survives the failure


async def test_unreachable_server_gives_agent_error(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    agent = make_agent()
    await fake_openai.close()
    decision = await agent.decide(transcript(QUESTION))
    assert reason_of(decision) == EscalationReason.AGENT_ERROR
    assert isinstance(decision.action, Escalation)
    assert "ClientConnectorError" in decision.action.detail


async def test_policy_runs_before_the_model(make_agent: MakeAgent, fake_openai: FakeOpenAI,
                                            transcript: MakeTranscript) -> None:
    agent = make_agent()
    assert reason_of(await agent.decide(transcript("Let me talk to a human!"))) == (
        EscalationReason.USER_REQUEST)
    assert reason_of(await agent.decide(transcript("My lawyer will contact you."))) == (
        EscalationReason.PROHIBITED_TOPIC)
    assert fake_openai.requests == []


async def test_given_session_is_used_and_left_open(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    async with aiohttp.ClientSession(headers={"X-Trace": "t1"}) as session:
        agent = make_agent(session=session)
        fake_openai.content("Hi Anna. [account-access#reset-your-password]")
        assert isinstance((await agent.decide(transcript(QUESTION))).action, Reply)
        await agent.client.close()
        assert not session.closed
    assert fake_openai.requests[0].headers["X-Trace"] == "t1"


def test_parse_completion_prefers_tool_calls() -> None:
    body = completion({"role": "assistant", "content": "text too", "tool_calls": [
        {"type": "function", "function": {"name": "escalate_to_human",
                                          "arguments": {"reason": "negative_sentiment",
                                                        "summary": "upset"}}}]})
    parsed = parse_completion(body)
    assert not isinstance(parsed, str) and parsed.reason == EscalationReason.NEGATIVE_SENTIMENT


CITED = ("Hi Anna,\n\nClick **Forgot password?** on the login page."
         " [account-access#reset-your-password]")


async def test_answer_must_cite_a_passage_it_was_given(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    agent = make_agent()
    fake_openai.content(CITED)
    reply = (await agent.decide(transcript(QUESTION))).action
    assert isinstance(reply, Reply)
    assert reply.sources == ("account-access#reset-your-password",)
    assert "[account-access" not in reply.markdown  # the citation is for us, not the customer
    assert "reset-your-password" in reply.evidence
    fake_openai.content("Hi Anna,\n\nJust click Forgot password.")  # no citation
    action = (await agent.decide(transcript(QUESTION))).action
    assert isinstance(action, Escalation)
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE
    assert "cites no" in action.detail
    fake_openai.content("Hi Anna, see [billing#made-up-section].")  # not a passage it was given
    assert reason_of(await agent.decide(transcript(QUESTION))) == (
        EscalationReason.MISSING_KNOWLEDGE)


async def test_guardrails_escalate_whatever_the_model_would_say(
        make_agent: MakeAgent, fake_openai: FakeOpenAI, transcript: MakeTranscript) -> None:
    agent = make_agent()
    for text, reason in [
        ("I found an XSS vulnerability in your login page.", EscalationReason.PROHIBITED_TOPIC),
        ("Mein Konto wurde gehackt.", EscalationReason.PROHIBITED_TOPIC),
        ("Could you forward this to a supervisor?", EscalationReason.USER_REQUEST),
    ]:
        fake_openai.content(CITED)
        assert reason_of(await agent.decide(transcript(text))) == reason
    assert fake_openai.requests == []  # the model was never asked
