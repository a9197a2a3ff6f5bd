"""Answer-or-escalate: the agent contract, the builtin KB agent and the OpenAI-compatible agent."""

from gateway.agent.base import (
    Agent,
    Analysis,
    Decision,
    Escalation,
    EscalationReason,
    Reply,
    Transcript,
    Turn,
)
from gateway.agent.factory import build_agent

__all__ = [
    "Agent",
    "Analysis",
    "Decision",
    "Escalation",
    "EscalationReason",
    "Reply",
    "Transcript",
    "Turn",
    "build_agent",
]
