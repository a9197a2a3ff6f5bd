"""The built-in agent: answers from the Markdown knowledge base with FTS5/bm25, no network."""

from __future__ import annotations

import asyncio

from gateway.agent.analysis import Analyser
from gateway.agent.base import Analysis, Escalation, EscalationReason, Reply, Transcript
from gateway.agent.compose import compose_reply
from gateway.agent.core import PolicyFirstAgent, escalation
from gateway.agent.retrieval import Retrieval, ScoredHit
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex

MAX_SECTIONS = 2
SECOND_SECTION_RATIO = 0.8  # a runner-up within 80 % of the best confidence is quoted too


def pick_sections(found: Retrieval, threshold: float) -> list[ScoredHit]:
    """The best section, plus runners-up that are nearly as good and above the threshold."""
    if not found.hits:
        return []
    best = found.hits[0]
    picked = [best]
    for hit in found.hits[1:]:
        if len(picked) == MAX_SECTIONS:
            break
        if hit.confidence >= max(threshold, SECOND_SECTION_RATIO * best.confidence):
            picked.append(hit)
    return picked


class BuiltinAgent(PolicyFirstAgent):
    """Quotes the best-matching KB section(s); escalates missing_knowledge below the threshold."""

    name = "builtin"

    def __init__(self, cfg: AgentConfig, index: KnowledgeIndex,
                 analyser: Analyser | None = None) -> None:
        super().__init__(cfg, index, analyser)
        self._kb_language: str | None = None

    async def kb_language(self) -> str:
        """The language the KB is written in (detected once, in a worker thread)."""
        if self._kb_language is None:
            sample = "\n".join(s.body for s in self.index.sections)[:5000]
            self._kb_language = await asyncio.to_thread(self.analyser.languages.detect, sample)
        return self._kb_language

    async def answer(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        found = await self.retrieve(transcript)
        threshold = self.cfg.confidence_threshold
        if found.confidence < threshold:
            best = f"best: {found.hits[0].hit.section.id}" if found.hits else "no section matched"
            return escalation(
                transcript, EscalationReason.MISSING_KNOWLEDGE,
                f"confidence {found.confidence:.2f} < {threshold:.2f} ({best})",
            )
        chosen = pick_sections(found, threshold)
        markdown = compose_reply(
            [h.hit.section for h in chosen], transcript.customer_name, analysis.language,
            await self.kb_language(),
        )
        return Reply(markdown, tuple(h.hit.section.id for h in chosen))
