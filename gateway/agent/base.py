"""The agent contract: transcripts in, a reply or an escalation (plus analysis) out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class EscalationReason(StrEnum):
    """Why a conversation goes to a human; the values are stored and shown in HubSpot notes."""

    USER_REQUEST = "user_request"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    MISSING_KNOWLEDGE = "missing_knowledge"
    PROHIBITED_TOPIC = "prohibited_topic"
    REPEATED_CONTACT = "repeated_contact"
    AGENT_ERROR = "agent_error"
    MANUAL = "manual"


CUSTOMER = "customer"
AI = "ai"
HUMAN_AGENT = "agent"
ROLES = frozenset({CUSTOMER, AI, HUMAN_AGENT})


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" | "ai" | "agent"
    text: str
    at: datetime


@dataclass(frozen=True)
class Transcript:
    session_id: int
    subject: str
    customer_name: str
    customer_email: str
    turns: tuple[Turn, ...]

    def pending_customer_turns(self) -> tuple[Turn, ...]:
        """Customer turns after the last ai/agent turn: what the next answer must address.

        If the transcript ends with an ai/agent turn, the last customer turn stands in
        (a re-run of an already answered job decides the same way it did the first time).
        """
        pending: list[Turn] = []
        for turn in reversed(self.turns):
            if turn.role != CUSTOMER:
                break
            pending.append(turn)
        if not pending:
            last = next((t for t in reversed(self.turns) if t.role == CUSTOMER), None)
            return (last,) if last else ()
        return tuple(reversed(pending))

    def customer_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.role == CUSTOMER)

    def pending_text(self) -> str:
        return "\n\n".join(t.text for t in self.pending_customer_turns())


@dataclass(frozen=True)
class Analysis:
    sentiment_label: str  # "positive" | "neutral" | "negative"
    sentiment_score: float  # VADER compound -1..1
    language: str  # ISO 639-1, "und" if unknown
    summary: str  # short conversation summary for the HubSpot ticket


@dataclass(frozen=True)
class Reply:
    markdown: str
    sources: tuple[str, ...]  # KB section ids used
    evidence: str = ""  # why the agent answered (passages, scores), for operators


@dataclass(frozen=True)
class Escalation:
    reason: EscalationReason
    summary: str
    detail: str


@dataclass(frozen=True)
class Decision:
    action: Reply | Escalation
    analysis: Analysis


class Agent(Protocol):
    """What the pipeline calls. Implementations: BuiltinAgent, OpenAIAgent."""

    async def decide(self, transcript: Transcript) -> Decision:
        """Answer or escalate. Never raises: any failure -> Escalation(AGENT_ERROR)."""
        ...

    async def analyse(self, transcript: Transcript) -> Analysis:
        """Sentiment, language and summary; also used for manual handoffs."""
        ...

    async def close(self) -> None:
        """Release sockets, threads and the knowledge index."""
        ...
