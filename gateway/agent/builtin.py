"""The built-in agent: answers from the Markdown knowledge base with FTS5/bm25, no network."""

from __future__ import annotations

import asyncio

from gateway.agent.analysis import Analyser
from gateway.agent.base import Analysis, Escalation, EscalationReason, Reply, Transcript
from gateway.agent.compose import compose_reply
from gateway.agent.core import PolicyFirstAgent, escalation
from gateway.agent.retrieval import Retrieval, ScoredHit
from gateway.config import AgentConfig
from gateway.storage.knowledge import KbSection, KnowledgeIndex

MAX_SECTIONS = 2
SECOND_SECTION_RATIO = 0.8  # a runner-up within 80 % of the best confidence is quoted too
SAME_LANGUAGE_RATIO = 0.6  # a hit in the customer's language this close to the best wins


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
    """Answers from the best-matching KB section(s); escalates missing_knowledge when unsure.

    A KB may hold several languages: among sections nearly as good as the best one, the one
    in the customer's language wins, so a German question is answered from the German page.
    """

    name = "builtin"

    def __init__(self, cfg: AgentConfig, index: KnowledgeIndex,
                 analyser: Analyser | None = None) -> None:
        super().__init__(cfg, index, analyser)
        self._section_language: dict[str, str] = {}

    def section_language(self, section: KbSection) -> str:
        """The language a KB section is written in (detected once per section)."""
        lang = self._section_language.get(section.id)
        if lang is None:
            lang = self.analyser.languages.detect(f"{section.title}\n{section.body}"[:2000])
            self._section_language[section.id] = lang
        return lang

    async def kb_language(self) -> str:
        """The language most of the KB is written in."""
        langs = await asyncio.to_thread(
            lambda: [self.section_language(s) for s in self.index.sections])
        return max(set(langs), key=langs.count) if langs else "en"

    def prefer_language(self, found: Retrieval, language: str) -> Retrieval:
        """Move the best hit in the customer's language to the top if it is nearly as good."""
        if not found.hits:
            return found
        best = found.hits[0]
        for i, hit in enumerate(found.hits):
            if hit.confidence < SAME_LANGUAGE_RATIO * best.confidence:
                break
            if self.section_language(hit.hit.section) == language:
                if i == 0:
                    return found
                hits = (hit, *found.hits[:i], *found.hits[i + 1:])
                return Retrieval(found.groups, hits)
        return found

    async def answer(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        found = await self.retrieve(transcript)
        confidence = max((h.confidence for h in found.hits), default=0.0)
        found = await asyncio.to_thread(self.prefer_language, found, analysis.language)
        threshold = self.cfg.confidence_threshold
        evidence = describe(found)
        if confidence < threshold:
            return escalation(
                transcript, EscalationReason.MISSING_KNOWLEDGE,
                f"confidence {confidence:.2f} < {threshold:.2f} ({evidence})",
            )
        chosen = pick_sections(found, min(threshold, found.confidence))
        section_lang = await asyncio.to_thread(self.section_language, chosen[0].hit.section)
        markdown = compose_reply(
            [h.hit.section for h in chosen], transcript.customer_name, analysis.language,
            section_lang, terms=list(found.terms),
        )
        return Reply(markdown, tuple(h.hit.section.id for h in chosen),
                     f"confidence {confidence:.2f} >= {threshold:.2f} ({evidence})")


def describe(found: Retrieval) -> str:
    """Evidence for operators: the best passages with confidence, and the margin."""
    if not found.hits:
        return "no section matched"
    top = found.hits[0]
    parts = [f"best {top.hit.section.id} {top.confidence:.2f}"]
    if len(found.hits) > 1:
        second = found.hits[1]
        parts.append(f"next {second.hit.section.id} {second.confidence:.2f}")
    unmatched = [g[0] for g in found.groups if not any(t in top.hit.matched for t in g)]
    if unmatched:
        parts.append("not covered: " + ", ".join(unmatched[:6]))
    return "; ".join(parts)
