"""The built-in agent: answers from the Markdown knowledge base with FTS5/bm25, no network."""

from __future__ import annotations

import asyncio
import math
import re

from gateway.agent.analysis import Analyser
from gateway.agent.base import Analysis, Escalation, EscalationReason, Reply, Transcript
from gateway.agent.calibration import AnswerEvidence, answer_probability
from gateway.agent.compose import compose_reply
from gateway.agent.core import PolicyFirstAgent, escalation, question_text
from gateway.agent.lexicons import FUNCTION_WORDS, PLACES, WORD, fold
from gateway.agent.places import SHIPPING, SHIPPING_JA, latin_names, named_countries
from gateway.agent.policy import without_declined
from gateway.agent.retrieval import (
    Retrieval,
    ScoredHit,
    own_text,
    query_groups,
    question_sentences,
)
from gateway.agent.second_look import second_look
from gateway.agent.semantic import SectionVectors
from gateway.config import AgentConfig
from gateway.storage.knowledge import KbSection, KnowledgeIndex

MAX_SECTIONS = 2
MAX_QUESTIONS = 3  # passages in one reply when a mail asks several questions
MIN_QUESTION_GROUPS = 3  # a shorter question alone cannot rescue a mail the KB misses ...
RESCUE_FLOOR = 0.5  # ... unless the mail as a whole reaches half the threshold
MIN_UNKNOWN = 4  # unknown content words that make a question "about something else"
MOST_WORDS_UNKNOWN = "most words of the question are not in the KB"
_NAME = re.compile(r"[A-Z][a-z]+[A-Za-z]*")
CAPITALISED_NOUNS = frozenset({"de", "lb"})  # every noun is capitalised: no name signal
_PRODUCT_LIKE = re.compile(r"\b[A-Z]{3,}\b|\b[\w-]+\.(?:com|io|ai|net|org|app)\b")
_CODE = re.compile(r"\b[A-Z]{2,5}-\d{3,5}\b")  # an error code such as HB-5004
_LOOSE_CODE = re.compile(r"\b[A-Za-z]{2,5}[- ]?\d{3,5}\b")  # also "hb1002", "HB 1002"
SECOND_SECTION_RATIO = 0.8  # a runner-up within 80 % of the best confidence is quoted too
SAME_LANGUAGE_RATIO = 0.5  # a hit in the customer's language half as good as the best wins
PROMOTE_BELOW = 0.5  # a bm25 leader under half the best confidence yields the first place
# Semantic rescue (agent.semantic): a mail short of the threshold is answered from its best
# section when its lexical confidence is at least SEMANTIC_FLOOR x threshold, the mail is
# close in meaning to a passage of that section, and so is each of its questions.
SEMANTIC_FLOOR = 0.55
SEMANTIC_MAIL = 0.42
SEMANTIC_QUESTION = 0.52
# Semantic re-ranking: among hits at least RERANK_RATIO x the best confidence, one whose
# meaning is RERANK_MARGIN closer to the mail than the leader's is quoted first.
RERANK_RATIO = 0.5
RERANK_MARGIN = 0.2
# A calibrated answer (agent.answer_probability) to several questions also needs each of
# them, on its own, at this share of the threshold: a second question the KB misses keeps
# the mail escalated.
CALIBRATED_QUESTION = 0.6


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
        self.vectors = SectionVectors(index.sections) if cfg.semantic else None

    def section_language(self, section: KbSection) -> str:
        """The language a KB section is written in (detected once per section)."""
        lang = self._section_language.get(section.id)
        if lang is None:
            lang = self.analyser.languages.detect(f"{section.title}\n{section.body}"[:2000])
            self._section_language[section.id] = lang
        return lang

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

    def per_question(self, transcript: Transcript) -> list[tuple[str, Retrieval]]:
        """Each question sentence of the pending mail, retrieved on its own."""
        found = []
        for question in question_sentences(own_text(without_declined(transcript.pending_text()))):
            if query_groups(question, exclude=[transcript.customer_name]):
                found.append((question, self.retriever.retrieve_sync(
                    question, exclude=[transcript.customer_name])))
        return found[:MAX_QUESTIONS]

    def unknown_focus(self, transcript: Transcript, language: str = "und") -> str | None:
        """Why a question is about something the KB never mentions, or None.

        The mail quotes an error code of the KB's scheme the KB lacks ("HB-6001"); or, per
        question sentence: it names a term the KB does not contain that looks like a
        product (ALL CAPS, a domain like monday.com, or a capitalised word inside the
        sentence that is not a place; not for German, which capitalises every noun); it
        asks about shipping to a country outside the EU the KB never names; or at least
        half of its content words (MIN_UNKNOWN or more) occur nowhere in the KB, whatever
        else matches.
        """
        if code := unknown_code(own_text(transcript.pending_text()), self.index):
            return code
        for question in question_sentences(own_text(without_declined(transcript.pending_text()))):
            groups = [g for g in self.retriever.expand(
                query_groups(question, exclude=[transcript.customer_name]))
                if g[0] not in FUNCTION_WORDS]
            unknown = [g for g in groups
                       if not any(self.index.document_frequency(t) for t in g)]
            absent = {g[0] for g in unknown}
            names = [] if language in CAPITALISED_NOUNS else _names(question)
            for term in _PRODUCT_LIKE.findall(question) + names:
                if fold(term) in PLACES:
                    continue  # "our office in Zurich", "in den USA"
                if any(w in absent for w in WORD.findall(fold(term))):
                    return f"the question names {term!r}, which the KB never mentions"
            if place := self.unlisted_destination(question, groups):
                return f"the question asks about shipping to {place}, which the KB never names"
            if len(unknown) >= MIN_UNKNOWN and len(unknown) * 2 >= len(groups):
                words = ", ".join(sorted(absent))
                return f"{MOST_WORDS_UNKNOWN}: {words}"
        return None

    def unlisted_destination(self, question: str, groups: list[tuple[str, ...]]) -> str | None:
        """A country outside the EU that a shipping question names and the KB never does.

        "Do you ship to Australia?" against a KB that lists the EU, the UK and the USA: the
        shipping section does not answer it, whatever else matches.
        """
        if not (any(t in SHIPPING for g in groups for t in g)
                or any(w in question for w in SHIPPING_JA)):
            return None
        for country in named_countries(question):
            if not any(all(self.index.document_frequency(w) for w in name)
                       for name in latin_names(country)):
                return country
        return None

    def semantic_rerank(self, transcript: Transcript, found: Retrieval) -> Retrieval:
        """The hits with the one closest in meaning first, when it is clearly closer."""
        if self.vectors is None or len(found.hits) < 2:
            return found
        best = max(h.confidence for h in found.hits)
        if best <= 0:
            return found
        scores = self.vectors.scores(self.mail_text(transcript))
        top = found.hits[0]
        near = [h for h in found.hits if h.confidence >= RERANK_RATIO * best]
        closest = max(near, key=lambda h: scores[h.hit.section.id])
        if scores[closest.hit.section.id] - scores[top.hit.section.id] < RERANK_MARGIN:
            return found
        return Retrieval(found.groups, (closest, *(h for h in found.hits if h is not closest)))

    @staticmethod
    def mail_text(transcript: Transcript) -> str:
        """What the mail is about, for sentence vectors: the subject and the own text."""
        return f"{transcript.subject}\n{own_text(question_text(transcript))}"[:2000]

    def semantic_rescue(self, transcript: Transcript, found: Retrieval) -> float | None:
        """The mail's similarity to the best section, when meaning vouches for it, else None.

        Lexical confidence must be at least SEMANTIC_FLOOR x threshold; the mail (subject
        and own text) must be close to one of the section's passages (SEMANTIC_MAIL), and
        every question sentence too (SEMANTIC_QUESTION), so a near miss whose second
        question the section does not answer stays missing_knowledge.
        """
        if self.vectors is None or not found.hits:
            return None
        top = found.hits[0]
        if top.confidence < SEMANTIC_FLOOR * self.cfg.confidence_threshold:
            return None
        own = own_text(question_text(transcript))
        questions = question_sentences(own)
        if not questions:
            return None
        sid = top.hit.section.id
        mail = self.vectors.scores(self.mail_text(transcript))[sid]
        if mail < SEMANTIC_MAIL:
            return None
        if any(self.vectors.scores(q)[sid] < SEMANTIC_QUESTION for q in questions):
            return None
        return mail

    def answer_evidence(self, transcript: Transcript, analysis: Analysis, found: Retrieval,
                        questions: list[tuple[str, Retrieval]]) -> AnswerEvidence | None:
        """The evidence the calibrated model weighs (None without semantic matching)."""
        if self.vectors is None or not found.hits:
            return None
        best = found.hits[0]
        sid = best.hit.section.id
        own = own_text(question_text(transcript))
        mail = self.vectors.scores(self.mail_text(transcript))[sid]
        asked = [self.vectors.scores(q)[sid] for q in question_sentences(own)]
        groups = [g for g in self.retriever.expand(
            query_groups(own, exclude=[transcript.customer_name])) if g[0] not in FUNCTION_WORDS]
        unknown = sum(1 for g in groups if not any(self.index.document_frequency(t) for t in g))
        confidences = [r.confidence for _, r in questions]
        second = found.hits[1].confidence if len(found.hits) > 1 else best.confidence
        return AnswerEvidence(
            confidence=best.confidence,
            runner_up=second / best.confidence if best.confidence > 0 else 1.0,
            question_min=min(confidences, default=0.0),
            question_max=max(confidences, default=0.0),
            questions=float(min(len(questions), 3)),
            meaning=float(mail),
            question_meaning=float(min(asked, default=0.0)),
            unknown_share=unknown / len(groups) if groups else 1.0,
            unknown=float(min(unknown, 8)),
            length=math.log1p(len(own.split())),
            english=float(analysis.language == "en"),
        )

    def calibrated(self, transcript: Transcript, analysis: Analysis, found: Retrieval,
                   questions: list[tuple[str, Retrieval]]) -> float | None:
        """P(the best section answers the mail), or None when it is not weighed."""
        if self.cfg.answer_probability >= 1.0:
            return None
        evidence = self.answer_evidence(transcript, analysis, found, questions)
        return None if evidence is None else answer_probability(evidence)

    def no_doubt(self, transcript: Transcript, analysis: Analysis) -> bool:
        """True when the second look, in any language, sees no reason for a person: a
        calibrated answer is given only then (sentence vectors: run it off the event loop)."""
        return second_look(transcript, analysis, tuple(self.cfg.prohibited_categories),
                           self.cfg.semantic, any_language=True) is None

    async def answer(self, transcript: Transcript, analysis: Analysis) -> Reply | Escalation:
        """Answer when the whole mail, or every question in it, is covered by the KB.

        Several questions get a passage each; a mail whose questions are only partly
        covered is escalated (missing_knowledge) rather than half answered.
        """
        focus = await asyncio.to_thread(self.unknown_focus, transcript, analysis.language)
        if focus and not focus.startswith(MOST_WORDS_UNKNOWN):  # a name the KB never mentions
            return escalation(transcript, EscalationReason.MISSING_KNOWLEDGE, focus)
        found = by_confidence(await self.retrieve(transcript))
        threshold = self.cfg.confidence_threshold
        confidence = max((h.confidence for h in found.hits), default=0.0)
        questions = await asyncio.to_thread(self.per_question, transcript)
        bar = self.cfg.answer_probability
        probability = None  # weighed only when the rules would escalate (it costs ~2 ms)
        if focus or confidence < threshold:
            probability = await asyncio.to_thread(
                self.calibrated, transcript, analysis, found, questions)
        if focus and (probability is None or probability < bar):
            # most words unknown: only the calibrated evidence may still answer
            return escalation(transcript, EscalationReason.MISSING_KNOWLEDGE,
                              focus + _calibrated(probability, bar))
        covered = [(q, r) for q, r in questions if r.confidence >= threshold]
        if (confidence < threshold and questions and len(covered) == len(questions)
                and (confidence >= RESCUE_FLOOR * threshold
                     or all(len(r.groups) >= MIN_QUESTION_GROUPS for _, r in covered))):
            found = merge([r for _, r in covered])
            confidence = found.confidence
        else:
            found = await asyncio.to_thread(self.semantic_rerank, transcript, found)
        found = await asyncio.to_thread(self.prefer_language, found, analysis.language)
        if confidence < threshold and (coded := quoted_code_section(found, transcript)):
            found, confidence = coded, max(confidence, threshold)
        rescued = ""  # why meaning vouched for a mail the words nearly covered
        if confidence < threshold and (close := await asyncio.to_thread(
                self.semantic_rescue, transcript, found)) is not None:
            rescued = (f"semantic {close:.2f} >= {SEMANTIC_MAIL:.2f}"
                       f" (lexical confidence {confidence:.2f})")
            confidence = threshold
        if ((confidence < threshold or focus) and probability is not None
                and probability >= bar and found.hits
                and (len(questions) < 2 or all(
                    r.confidence >= CALIBRATED_QUESTION * threshold for _, r in questions))
                and await asyncio.to_thread(self.no_doubt, transcript, analysis)):
            rescued = (f"calibrated {probability:.2f} >= {bar:.2f}"
                       f" (lexical confidence {confidence:.2f})")
            confidence = threshold
        evidence = describe(found)
        if confidence < threshold:
            missed = [q for q, r in questions if r.confidence < threshold]
            about = f"; question not covered: {missed[0][:80]!r}" if missed else ""
            return escalation(
                transcript, EscalationReason.MISSING_KNOWLEDGE,
                f"confidence {confidence:.2f} < {threshold:.2f} ({evidence}{about})"
                + _calibrated(probability, bar),
            )
        chosen = pick_sections(found, min(threshold, found.confidence))
        for _, r in covered:  # one passage per further question the mail asks
            if r.hits[0].hit.section.id not in {h.hit.section.id for h in chosen}:
                chosen.append(r.hits[0])
        chosen = chosen[:MAX_QUESTIONS]
        section_lang = await asyncio.to_thread(self.section_language, chosen[0].hit.section)
        markdown = compose_reply(
            [h.hit.section for h in chosen], transcript.customer_name, analysis.language,
            section_lang, terms=list(found.terms),
            questions=[(list(r.terms), r.hits[0].hit.section.id if r.hits else "")
                       for _, r in questions],
        )
        why = rescued or f"confidence {confidence:.2f} >= {threshold:.2f}"
        return Reply(markdown, tuple(h.hit.section.id for h in chosen), f"{why} ({evidence})")


def _calibrated(probability: float | None, bar: float) -> str:
    """The calibrated evidence of an escalation, for the operator ("" when not weighed)."""
    if probability is None:
        return ""
    shown = math.floor(probability * 100) / 100  # 0.7996 is "0.79 < 0.80", not "0.80 < 0.80"
    return f"; calibrated {shown:.2f} < {bar:.2f}"


def _names(question: str) -> list[str]:
    """Capitalised words inside a question (not its first word, not a place): product names."""
    words = re.findall(r"[\w.'-]+", question)
    return [w for w in words[1:] if _NAME.fullmatch(w) and fold(w) not in PLACES]


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def unknown_code(text: str, index: KnowledgeIndex) -> str | None:
    """An error code of the KB's own scheme ("HB-6001") whose number it never mentions.

    Only a scheme the KB uses: an order number ("ORD-12345") is not an error code."""
    for code in _CODE.findall(text):
        prefix, number = code.rsplit("-", 1)
        if index.document_frequency(prefix.casefold()) and not index.document_frequency(number):
            return f"the mail quotes {code!r}, which the KB never mentions"
    return None


def quoted_code_section(found: Retrieval, transcript: Transcript) -> Retrieval | None:
    """The hits with the one section whose title is an error code the mail quotes first.

    An exact code ("HB-5004") that names a KB section is evidence enough, whatever else
    the customer writes around it ("We can't downgrade to Team, it says HB-5004").
    """
    codes = {_alnum(c) for c in _LOOSE_CODE.findall(own_text(transcript.pending_text()))}
    titled = [h for h in found.hits
              if any(c in _alnum(h.hit.section.title) for c in codes)]
    if len(codes) != 1 or len(titled) != 1:
        return None
    top = titled[0]
    return Retrieval(found.groups, (top, *(h for h in found.hits if h is not top)))


def by_confidence(found: Retrieval) -> Retrieval:
    """The most confident hit first when the bm25 leader is far less confident than it.

    bm25 alone can favour a section matching one word many times ("limits" in the subject)
    over the one that covers the question ("How much storage does the Free plan include?");
    the decision rests on the best confidence, so that section is quoted first.
    """
    if not found.hits:
        return found
    top = max(found.hits, key=lambda h: h.confidence)
    if found.hits[0].confidence >= PROMOTE_BELOW * top.confidence:
        return found
    return Retrieval(found.groups, (top, *(h for h in found.hits if h is not top)))


def merge(retrievals: list[Retrieval]) -> Retrieval:
    """The best hit of each question first, then the rest, by confidence."""
    firsts = [r.hits[0] for r in retrievals if r.hits]
    rest = sorted((h for r in retrievals for h in r.hits[1:]), key=lambda h: -h.confidence)
    seen: set[str] = set()
    hits = []
    for hit in [*firsts, *rest]:
        if hit.hit.section.id not in seen:
            seen.add(hit.hit.section.id)
            hits.append(hit)
    groups = tuple(g for r in retrievals for g in r.groups)
    return Retrieval(groups, tuple(hits))


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
