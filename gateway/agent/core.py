"""What every agent shares: analysis, the policy-first decision, and the never-raise boundary."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod

from gateway.agent.analysis import ANALYSED_CHARS, Analyser, summarise, without_courtesies
from gateway.agent.base import (
    Analysis,
    Decision,
    Escalation,
    EscalationReason,
    Reply,
    Transcript,
)
from gateway.agent.policy import EscalationPolicy, without_declined
from gateway.agent.retrieval import Retrieval, Retriever
from gateway.agent.second_look import second_look, weak_human_request
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex

log = logging.getLogger(__name__)
FALLBACK_ANALYSIS = Analysis("neutral", 0.0, "und", "")


def escalation(transcript: Transcript, reason: EscalationReason, detail: str) -> Escalation:
    return Escalation(reason, summarise(transcript, reason), detail)


def question_text(transcript: Transcript) -> str:
    """The pending customer turns without their greeting and sign-off lines."""
    return "\n\n".join(without_declined(without_courtesies(t.text))
                       for t in transcript.pending_customer_turns())


class PolicyFirstAgent(ABC):
    """Analyse, apply the escalation policy, and only then let the subclass answer.

    ``decide`` is the agent boundary: it never raises. Any exception in analysis, retrieval
    or the model call becomes Escalation(AGENT_ERROR) so that a human sees the mail.
    """

    name = "agent"

    def __init__(self, cfg: AgentConfig, index: KnowledgeIndex,
                 analyser: Analyser | None = None) -> None:
        self.cfg = cfg
        self.index = index
        self.retriever = Retriever(index)
        self.policy = EscalationPolicy(cfg)
        self.analyser = analyser or Analyser()

    async def analyse(self, transcript: Transcript) -> Analysis:
        return await asyncio.to_thread(self.analyser.analyse, transcript)

    async def decide(self, transcript: Transcript) -> Decision:
        analysis = FALLBACK_ANALYSIS
        try:
            analysis = await self.analyse(transcript)
            action = await self._decide(transcript, analysis)
        except Exception as exc:  # the agent boundary: never raise, escalate instead
            log.error("agent failed session=%s agent=%s error=%s",
                      transcript.session_id, self.name, type(exc).__name__)
            detail = f"{self.name}: {type(exc).__name__}: {exc}"[:500]
            action = escalation(transcript, EscalationReason.AGENT_ERROR, detail)
        kind = "reply" if isinstance(action, Reply) else f"escalate:{action.reason}"
        log.info("decided session=%s agent=%s action=%s language=%s sentiment=%.2f",
                 transcript.session_id, self.name, kind, analysis.language,
                 analysis.sentiment_score)
        return Decision(action, analysis)

    async def _decide(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        if not transcript.customer_turns():
            return escalation(transcript, EscalationReason.AGENT_ERROR,
                              "the transcript has no customer message")
        hit = await asyncio.to_thread(self.policy.check, transcript, analysis)
        if hit is not None:
            return escalation(transcript, hit.reason, hit.detail)
        action = await self.answer(transcript, analysis)
        if isinstance(action, Reply) and (phrase := await asyncio.to_thread(
                weak_human_request, transcript.pending_text(), to_talk=True)):
            # an indirect wish to talk to a person ("could someone of your team call me?")
            # stops an answer too: the customer asked to be taken over, not to be answered
            return escalation(transcript, EscalationReason.USER_REQUEST,
                              f"asked for a person: {phrase}; not sent: {action.evidence}")
        if isinstance(action, Escalation) and action.reason == EscalationReason.MISSING_KNOWLEDGE:
            truer = await asyncio.to_thread(
                second_look, transcript, analysis,
                tuple(self.cfg.prohibited_categories), self.cfg.semantic)
            if truer is not None:
                return escalation(transcript, truer.reason,
                                  f"{truer.detail}; second look, escalated anyway: {action.detail}")
        return action

    async def retrieve(self, transcript: Transcript, limit: int = 5) -> Retrieval:
        """KB sections for the pending question (plus the subject on a first mail).

        Greeting and sign-off lines are left out: "Dear support team," is not a question
        about support or teams.
        """
        text = question_text(transcript)
        if len(transcript.customer_turns()) == len(transcript.pending_customer_turns()):
            text = f"{transcript.subject}\n{text}"
        return await asyncio.to_thread(
            self.retriever.retrieve_sync, text[:ANALYSED_CHARS],
            exclude=[transcript.customer_name], limit=limit,
        )

    @abstractmethod
    async def answer(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        """Answer from the KB, or escalate (missing_knowledge); the policy already passed."""

    async def close(self) -> None:
        self.index.close()
