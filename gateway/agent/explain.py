"""`agent explain`: the evidence behind one decision (language, sentiment, rules, passages)."""

from __future__ import annotations

import asyncio

from gateway.agent.base import Agent, Analysis, Escalation, Transcript
from gateway.agent.calibration import answer_probability
from gateway.agent.core import PolicyFirstAgent
from gateway.agent.retrieval import Retrieval


async def explain(agent: Agent, transcript: Transcript) -> str:
    """A readable account of what the agent saw and why it decided as it did."""
    decision = await agent.decide(transcript)
    a = decision.analysis
    lines = [f"language: {a.language}   sentiment: {a.sentiment_label} ({a.sentiment_score:+.2f})"]
    if isinstance(agent, PolicyFirstAgent):
        found = await agent.retrieve(transcript)
        lines.append("query groups: " + "; ".join("/".join(g) for g in found.groups[:20]))
        vectors = getattr(agent, "vectors", None)  # the builtin agent with agent.semantic
        meaning = (await asyncio.to_thread(vectors.scores, agent.mail_text(transcript))
                   if vectors is not None else {})
        lines.append("passages (best first):")
        for h in found.hits:
            sim = meaning.get(h.hit.section.id)
            lines.append(f"  {h.hit.section.id:<40} bm25 {h.hit.score:6.2f}"
                         f"  confidence {h.confidence:.2f}"
                         + (f"  semantic {sim:.2f}" if sim is not None else "")
                         + f"  matched {sorted(h.hit.matched)}")
        if (line := await asyncio.to_thread(_calibrated, agent, transcript, a, found)):
            lines.append(line)
        check = await asyncio.to_thread(agent.policy.check, transcript, a)
        lines.append(f"policy: {check.reason}: {check.detail}" if check else
                     "policy: no escalation rule applies")
    action = decision.action
    if isinstance(action, Escalation):
        lines.append(f"decision: escalate ({action.reason})\nevidence: {action.detail}")
    else:
        lines.append(f"decision: answer from {', '.join(action.sources)}")
        if action.evidence:
            lines.append(f"evidence: {action.evidence}")
        lines.append("--- reply ---\n" + action.markdown.rstrip())
    return "\n".join(lines)


def _calibrated(agent: PolicyFirstAgent, transcript: Transcript, analysis: Analysis,
                found: Retrieval) -> str:
    """The calibrated probability and the evidence it weighs (builtin agent, semantic on)."""
    from gateway.agent.builtin import BuiltinAgent, by_confidence

    if not isinstance(agent, BuiltinAgent):
        return ""
    evidence = agent.answer_evidence(transcript, analysis, by_confidence(found),
                                     agent.per_question(transcript))
    if evidence is None:
        return ""
    weighed = ", ".join(f"{k} {v:.2f}" for k, v in vars(evidence).items())
    return (f"calibrated: {answer_probability(evidence):.2f} that the best section answers"
            f" (bar {agent.cfg.answer_probability:.2f}, weighed when the rules escalate;"
            f" {weighed})")
