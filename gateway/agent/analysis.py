"""Conversation analysis: language (py3langid), sentiment (adjusted VADER), extractive summary.

All of it is deterministic, local and CPU-only; agents run it in a worker thread.
"""

from __future__ import annotations

import re
import threading

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from gateway.agent.base import Analysis, EscalationReason, Transcript
from gateway.agent.compose import strip_signoff
from gateway.agent.lexicons import WORD, fold, words
from gateway.agent.sentiment import SentimentScorer, label

UNKNOWN_LANGUAGE = "und"
MIN_LANGUAGE_CONFIDENCE = 0.3  # py3langid's normalised probability; below it -> "und"
SUMMARY_TURNS = 4  # first customer turn + the latest three
SENTENCE_CHARS = 160
SUMMARY_CHARS = 700
# Language and sentiment look at this much of the latest customer text: VADER is pure Python
# (~15 ms per KB, holding the GIL), and a pasted log must not stall the event loop.
ANALYSED_CHARS = 6000

REASON_TEXT: dict[EscalationReason, str] = {
    EscalationReason.USER_REQUEST: "the customer asked for a human",
    EscalationReason.NEGATIVE_SENTIMENT: "the customer is upset (negative sentiment)",
    EscalationReason.MISSING_KNOWLEDGE: "the knowledge base does not answer the question",
    EscalationReason.PROHIBITED_TOPIC: "the mail raises a topic reserved for humans",
    EscalationReason.REPEATED_CONTACT: "the customer wrote repeatedly without resolution",
    EscalationReason.AGENT_ERROR: "the AI agent failed to answer",
    EscalationReason.MANUAL: "an operator handed the conversation off",
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_GREETINGS = words(
    """hi hello hey dear hallo guten bonjour bonsoir salut hola buenos buenas estimado
    estimada estimados beste geachte goedemorgen goedendag ola bom boa prezado prezada
    prezados ciao buongiorno buonasera gentile gentili sehr liebe lieber witam salve
    goedemiddag"""
)


class LanguageDetector:
    """py3langid (all 97 languages, normalised probabilities); short or unclear text -> 'und'."""

    def __init__(self, min_confidence: float = MIN_LANGUAGE_CONFIDENCE) -> None:
        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._min = min_confidence

    def detect(self, text: str) -> str:
        if not WORD.search(text):
            return UNKNOWN_LANGUAGE
        lang, prob = self._ident.classify(text)
        if prob < self._min or len(lang) != 2:
            return UNKNOWN_LANGUAGE
        return str(lang)


class Analyser:
    """Builds the Analysis of a transcript; one instance per agent.

    The models (py3langid ~0.4 s, VADER ~0.1 s) load on first use, in the worker thread
    that first needs them, not on the event loop at start-up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._languages: LanguageDetector | None = None
        self._sentiment: SentimentScorer | None = None

    def _load(self) -> tuple[LanguageDetector, SentimentScorer]:
        with self._lock:
            if self._languages is None or self._sentiment is None:
                self._sentiment = SentimentScorer()
                self._languages = LanguageDetector()
            return self._languages, self._sentiment

    @property
    def languages(self) -> LanguageDetector:
        return self._load()[0]

    @property
    def sentiment(self) -> SentimentScorer:
        return self._load()[1]

    def language(self, transcript: Transcript) -> str:
        lang = self.languages.detect(transcript.pending_text()[:ANALYSED_CHARS])
        if lang == UNKNOWN_LANGUAGE:
            everything = "\n".join([transcript.subject, *(t.text for t in
                                                         transcript.customer_turns())])
            lang = self.languages.detect(everything[:ANALYSED_CHARS])
        return lang

    def analyse(self, transcript: Transcript) -> Analysis:
        """Sentiment of the latest customer turns, language, and the extractive summary.

        Greetings and sign-offs are left out of the sentiment: "Dear …" and "Best regards"
        are positive words to VADER and made polite fury look content.
        """
        lang = self.language(transcript)
        text = "\n\n".join(without_courtesies(t.text)
                           for t in transcript.pending_customer_turns())
        score = self.sentiment.compound(text[:ANALYSED_CHARS], lang)
        return Analysis(label(score), round(score, 4), lang, summarise(transcript))


def without_courtesies(text: str) -> str:
    """``text`` without a greeting line at the top and a sign-off at the bottom."""
    lines = strip_signoff(text).strip().splitlines()
    if lines:
        first = [fold(w) for w in WORD.findall(lines[0])]
        if first and first[0] in _GREETINGS and len(first) <= 4:
            lines = lines[1:]
    return "\n".join(lines).strip()


def first_sentence(text: str) -> str:
    """The first sentence that is not just a greeting ("Hi Tom,"), cut to SENTENCE_CHARS."""
    for raw in _SENTENCE_END.split(text.strip()):
        sentence = " ".join(raw.split())
        words = [fold(w) for w in WORD.findall(sentence)]
        if not words or (len(words) <= 3 and words[0] in _GREETINGS):
            continue
        if len(sentence) > SENTENCE_CHARS:
            sentence = sentence[: SENTENCE_CHARS - 1].rstrip() + "…"
        return sentence
    return ""


def summarise(transcript: Transcript, reason: EscalationReason | None = None) -> str:
    """Short extractive summary: subject, first sentences of customer turns, the reason."""
    turns = transcript.customer_turns()
    picked = list(turns) if len(turns) <= SUMMARY_TURNS else [turns[0], *turns[-3:]]
    subject = transcript.subject.strip() or "(none)"
    lines = [f"Subject: {subject}" + ("" if subject[-1] in ".?!" else ".")]
    mails = f"{len(turns)} customer mail" + ("s" if len(turns) != 1 else "")
    lines.append(f"{mails}.")
    for turn in picked:
        sentence = first_sentence(turn.text)
        if sentence:
            lines.append(f"Customer: {sentence}")
    tail = f" Escalated because {REASON_TEXT[reason]}." if reason is not None else ""
    summary = " ".join(lines)
    room = SUMMARY_CHARS - len(tail)
    if len(summary) > room:
        summary = summary[: room - 1].rstrip() + "…"
    return summary + tail
