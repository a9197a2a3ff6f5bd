"""The OpenAI-compatible agent: KB passages + transcript to /chat/completions, reply or escalate.

Works with anything that speaks the OpenAI chat-completions API (OpenAI, Ollama, vLLM,
llama.cpp server). The escalation policy runs first, so deterministic escalations never
depend on the model. The model answers with Markdown content, or calls the tool
``escalate_to_human(reason, summary)``; strict JSON content
``{"action": "reply", "markdown": ...}`` / ``{"action": "escalate", "reason": ..., "summary":
...}`` is accepted as a fallback for servers without tool calling. Timeouts, connection
errors, 429 and 5xx are retried ``max_retries`` times with doubling back-off; anything else
unusable becomes Escalation(AGENT_ERROR) at the agent boundary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.agent.analysis import Analyser, summarise
from gateway.agent.base import (
    AI,
    CUSTOMER,
    Analysis,
    Escalation,
    EscalationReason,
    Reply,
    Transcript,
)
from gateway.agent.compose import display_name, plain, strip_signoff
from gateway.agent.core import PolicyFirstAgent
from gateway.agent.retrieval import Retrieval
from gateway.config import AgentConfig, OpenAIConfig
from gateway.errors import GatewayError
from gateway.storage.knowledge import KnowledgeIndex

log = logging.getLogger(__name__)
PASSAGE_CHARS = 1500
MODEL_REASONS = (
    EscalationReason.MISSING_KNOWLEDGE, EscalationReason.USER_REQUEST,
    EscalationReason.NEGATIVE_SENTIMENT, EscalationReason.PROHIBITED_TOPIC,
)
ESCALATE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "escalate_to_human",
        "description": "Hand the conversation to a human support agent instead of replying.",
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "enum": [str(r) for r in MODEL_REASONS]},
                "summary": {"type": "string", "description": "One or two sentences for the agent"},
            },
            "required": ["reason", "summary"],
        },
    },
}
SYSTEM_PROMPT = """You are the email support assistant of a software company.
Answer the customer's latest message using ONLY the knowledge base passages below.
Rules:
- Write the email body in Markdown. Greet the customer{name_clause}.
- Never add a signature, sign-off, closing formula or your name: they are added for you.
- Reply in the customer's language{language_clause}.
- If the passages do not answer the question, the customer wants a human, is upset, or
  raises legal matters, do not answer: {escalate_how}
- Never invent prices, dates, policies or links that are not in the passages.
- After each statement taken from a passage, cite the passage id in square brackets,
  for example [billing#invoices]; an answer without a citation is not sent.
{json_clause}
Knowledge base passages:
{passages}"""
JSON_CLAUSE = (
    "Answer with one JSON object and nothing else, either\n"
    '{"action": "reply", "markdown": "<the email body>"} or\n'
    '{"action": "escalate", "reason": "<one of: ' + ", ".join(MODEL_REASONS) + '>",'
    ' "summary": "<one sentence>"}.\n'
)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class ModelError(GatewayError):
    """The model server failed, or answered with something the agent cannot use."""


class RetryableModelError(ModelError):
    """A timeout, connection error, 429 or 5xx: worth another attempt."""


@dataclass(frozen=True)
class ModelEscalation:
    reason: EscalationReason
    summary: str


def _escalation_from(args: Any) -> ModelEscalation:
    if not isinstance(args, dict):
        raise ModelError("escalation arguments are not an object")
    try:
        reason = EscalationReason(args.get("reason"))
    except ValueError:
        raise ModelError(f"unknown escalation reason {args.get('reason')!r}") from None
    if reason not in MODEL_REASONS:
        raise ModelError(f"reason {reason} is not the model's to give")
    return ModelEscalation(reason, str(args.get("summary") or "").strip())


def _parse_tool_calls(calls: Any) -> ModelEscalation:
    if not isinstance(calls, list) or not calls:
        raise ModelError("tool_calls is not a non-empty list")
    function = (calls[0] or {}).get("function") or {}
    if function.get("name") != "escalate_to_human":
        raise ModelError(f"unknown tool {function.get('name')!r}")
    arguments = function.get("arguments")
    try:
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        raise ModelError("tool arguments are not valid JSON") from None
    return _escalation_from(args)


def _parse_json_content(text: str) -> str | ModelEscalation:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ModelError("content looks like JSON but does not parse") from None
    action = data.get("action") if isinstance(data, dict) else None
    if action == "escalate":
        return _escalation_from(data)
    if action == "reply" and isinstance(data.get("markdown"), str) and data["markdown"].strip():
        return str(data["markdown"])
    raise ModelError(f"JSON answer with action {action!r} and no usable body")


def parse_completion(body: Any, *, json_only: bool = False) -> str | ModelEscalation:
    """Markdown to send, or the model's escalation; ModelError for anything malformed."""
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ModelError("no choices[0].message in the response") from None
    if not isinstance(message, dict):
        raise ModelError("choices[0].message is not an object")
    if message.get("tool_calls"):
        return _parse_tool_calls(message["tool_calls"])
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ModelError("empty answer: no content and no tool call")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if text.startswith("{") or json_only:
        return _parse_json_content(text)
    return content


class ChatClient:
    """POSTs chat completions with timeouts and retries; owns its session unless given one."""

    def __init__(self, cfg: OpenAIConfig, api_key: str | None = None,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.cfg = cfg
        self.url = cfg.base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._session = session
        self._owns_session = session is None

    async def complete(self, body: dict[str, Any]) -> Any:
        attempts = max(0, self.cfg.max_retries) + 1
        last: RetryableModelError | None = None
        for attempt in range(attempts):
            if last is not None:
                delay = self.cfg.backoff_seconds * 2 ** (attempt - 1)
                log.warning("model call failed, retrying url=%s error=%s attempt=%d delay=%.1f",
                            self.url, last, attempt, delay)
                await asyncio.sleep(delay)
            try:
                return await self._post(body)
            except RetryableModelError as exc:
                last = exc
        raise ModelError(f"{last} (after {attempts} attempts)")

    async def _post(self, body: dict[str, Any]) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.cfg.timeout)
        try:
            async with self._session.post(self.url, json=body, headers=self._headers,
                                          timeout=timeout) as resp:
                if resp.status == 429 or resp.status >= 500:
                    raise RetryableModelError(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise ModelError(f"HTTP {resp.status}")
                raw = await resp.read()
        except TimeoutError:
            raise RetryableModelError(f"timeout after {self.cfg.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise RetryableModelError(type(exc).__name__) from None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelError("response body is not JSON") from None

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None


class OpenAIAgent(PolicyFirstAgent):
    """Asks an OpenAI-compatible model, with KB passages from the same FTS index."""

    name = "openai"

    def __init__(self, cfg: AgentConfig, index: KnowledgeIndex, *, api_key: str | None = None,
                 session: aiohttp.ClientSession | None = None,
                 analyser: Analyser | None = None) -> None:
        super().__init__(cfg, index, analyser)
        self.client = ChatClient(cfg.openai, api_key, session)

    async def answer(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        found = await self.retrieve(transcript, limit=self.cfg.openai.passages)
        data = await self.client.complete(self.request_body(transcript, analysis, found))
        answer = parse_completion(data, json_only=not self.cfg.openai.tools)
        if isinstance(answer, ModelEscalation):
            detail = f"model escalated: {answer.summary}" if answer.summary else "model escalated"
            return Escalation(answer.reason, summarise(transcript, answer.reason), detail)
        return cited_reply(transcript, answer, found)

    def request_body(self, transcript: Transcript, analysis: Analysis,
                     found: Retrieval) -> dict[str, Any]:
        ocfg = self.cfg.openai
        body: dict[str, Any] = {
            "model": ocfg.model,
            "temperature": ocfg.temperature,
            "messages": [
                {"role": "system", "content": system_prompt(transcript, analysis, found,
                                                            tools=ocfg.tools)},
                *transcript_messages(transcript),
            ],
        }
        if ocfg.tools:
            body["tools"] = [ESCALATE_TOOL]
            body["tool_choice"] = "auto"
        else:
            body["response_format"] = {"type": "json_object"}
        return body

    async def close(self) -> None:
        await self.client.close()
        await super().close()


_CITATION = re.compile(r"\s?\[([^\[\]\s]+#[^\[\]\s]+)\]")


def cited_reply(transcript: Transcript, answer: str, found: Retrieval) -> Reply | Escalation:
    """The model's answer as a Reply if it cites a passage it was given; else missing_knowledge.

    Citations are removed from the text the customer gets and become the reply's sources.
    """
    given = {h.hit.section.id for h in found.hits}
    cited = [c for c in dict.fromkeys(_CITATION.findall(answer)) if c in given]
    if not cited:
        unknown = _CITATION.findall(answer)
        detail = (f"model answer cites no passage it was given (cited: {', '.join(unknown)})"
                  if unknown else "model answer cites no KB passage")
        return Escalation(EscalationReason.MISSING_KNOWLEDGE,
                          summarise(transcript, EscalationReason.MISSING_KNOWLEDGE), detail)
    text = plain(strip_signoff(_CITATION.sub("", answer)))  # the text part shows no raw **
    return Reply(text, tuple(cited), f"model answer citing {', '.join(cited)}")


def system_prompt(transcript: Transcript, analysis: Analysis, found: Retrieval, *,
                  tools: bool) -> str:
    name = display_name(transcript.customer_name)
    passages = "\n\n".join(
        f"[{h.hit.section.id}] {h.hit.section.trail}\n{h.hit.section.body[:PASSAGE_CHARS]}"
        for h in found.hits
    ) or "(no passage matched the question)"
    return SYSTEM_PROMPT.format(
        name_clause=f" by name ({name})" if name else "",
        language_clause=f" (detected: {analysis.language})" if analysis.language != "und" else "",
        escalate_how="call the tool escalate_to_human." if tools
        else 'answer {"action": "escalate", ...} as described below.',
        json_clause="" if tools else JSON_CLAUSE,
        passages=passages,
    )


def transcript_messages(transcript: Transcript) -> list[dict[str, str]]:
    """customer -> user, ai -> assistant, human agent -> assistant marked as such."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(transcript.turns):
        text = turn.text
        if i == 0 and turn.role == CUSTOMER:
            text = f"Subject: {transcript.subject}\n\n{text}"
        if turn.role == CUSTOMER:
            messages.append({"role": "user", "content": text})
        elif turn.role == AI:
            messages.append({"role": "assistant", "content": text})
        else:
            messages.append({"role": "assistant", "content": f"(human support agent) {text}"})
    return messages
