"""Knowledge retrieval: customer text -> FTS5 query terms -> ranked KB sections with a confidence.

Query terms: words of the text, folded (lower case, no accents), minus stop words of seven
languages, minus the customer's own name; foreign support words are mapped to the KB's
English words with the glossary (also inside German compounds). The terms are OR-ed.

Confidence of a hit (documented in docs/agent.md):

    strength   = s / (s + SATURATION)          s = -bm25 of the section (title weight 3)
    coverage   = sum(w(t) for t matched in the section) / sum(w(t) for every query term)
    w(t)       = idf(t) if the KB contains t, else UNKNOWN_WEIGHT * idf of a one-section term
    confidence = strength * coverage          (0..1)

bm25 grows with the number and rarity of matched terms, so ``strength`` says "this section
matches well"; ``coverage`` says "and the question is mostly about what it covers". A
question in a language the KB does not speak keeps its unmapped words as unknown terms, so
its coverage (and confidence) stays low instead of answering on one stray match.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.agent.lexicons import GLOSSARY, STOP_WORDS, WORD, fold
from gateway.storage.knowledge import KbHit, KnowledgeIndex

SATURATION = 3.0
UNKNOWN_WEIGHT = 0.5
MIN_AFFIX = 6  # glossary keys this long also match as prefix/suffix of a longer word
MAX_TERMS = 40
_PHRASES = sorted((k for k in GLOSSARY if " " in k), key=len, reverse=True)
_AFFIX_KEYS = sorted((k for k in GLOSSARY if " " not in k and len(k) >= MIN_AFFIX),
                     key=len, reverse=True)


@dataclass(frozen=True)
class ScoredHit:
    hit: KbHit
    confidence: float


@dataclass(frozen=True)
class Retrieval:
    terms: tuple[str, ...]
    hits: tuple[ScoredHit, ...]  # in bm25 order, best first

    @property
    def confidence(self) -> float:
        """The confidence of the best-ranked (bm25) section."""
        return self.hits[0].confidence if self.hits else 0.0


def _translate(word: str) -> list[str]:
    """English KB words for a folded word: exact, plural, other final vowel, or compound."""
    if word in GLOSSARY:
        return GLOSSARY[word].split()
    if word.endswith("s") and word[:-1] in GLOSSARY:
        return GLOSSARY[word[:-1]].split()
    if len(word) >= 5 and word[-1] in "aeio":  # fattura/fatture, ordine/ordini, pedido/a
        for vowel in "aeio":
            if (word[:-1] + vowel) in GLOSSARY:
                return GLOSSARY[word[:-1] + vowel].split()
    found: list[str] = []
    for key in _AFFIX_KEYS:
        if len(word) > len(key) and (word.startswith(key) or word.endswith(key)):
            found += GLOSSARY[key].split()
    return found or [word]


def query_terms(text: str, *, exclude: Iterable[str] = ()) -> list[str]:
    """Content words of ``text`` for the FTS query, in order of appearance, deduplicated."""
    folded = " " + " ".join(WORD.findall(fold(text))) + " "
    for phrase in _PHRASES:
        folded = folded.replace(f" {phrase} ", f" {GLOSSARY[phrase]} ")
    skip = {fold(w) for name in exclude for w in WORD.findall(name)}
    terms: list[str] = []
    for word in folded.split():
        if word in STOP_WORDS or word in skip or len(word) < 2:
            continue
        if word.isdigit() and not 3 <= len(word) <= 4:
            continue  # order numbers, phone numbers, dates; keep 401, 429, 2024
        terms += [t for t in _translate(word) if t not in STOP_WORDS]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


class Retriever:
    """Ranks KB sections for a question and scores each hit's confidence."""

    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._rare_idf = self._idf_of_df(1)

    def _idf_of_df(self, df: int) -> float:
        n = len(self.index)
        return max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)

    def weight(self, term: str) -> float:
        if self.index.document_frequency(term) == 0:
            return UNKNOWN_WEIGHT * self._rare_idf
        return self.index.idf(term)

    def confidence(self, hit: KbHit, terms: Sequence[str]) -> float:
        total = sum(self.weight(t) for t in terms)
        if total <= 0 or hit.score <= 0:
            return 0.0
        coverage = sum(self.weight(t) for t in hit.matched) / total
        strength = hit.score / (hit.score + SATURATION)
        return round(strength * coverage, 4)

    def retrieve_sync(self, text: str, *, exclude: Iterable[str] = (), limit: int = 5
                      ) -> Retrieval:
        terms = query_terms(text, exclude=exclude)
        hits = self.index.search(terms, limit)
        return Retrieval(tuple(terms), tuple(ScoredHit(h, self.confidence(h, terms)) for h in hits))
