"""Semantic matching: sentence vectors from the WordLlama model inside its wheel (no download)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from gateway.agent.lexicons import fold
from gateway.storage.knowledge import KbSection

_LOCK = threading.Lock()
_MODEL: object | None = None
MAX_PASSAGE = 400  # characters of one KB passage embedded as a unit
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.?!。？！])\s+|\n+")


def model() -> object:
    """The WordLlama model, loaded once (thread safe) from the files inside the wheel.

    ``disable_download=True`` means a missing file raises instead of reaching the network;
    the wheel ships ``weights/l2_supercat_256.safetensors`` and its tokenizer config.
    """
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                import wordllama
                from wordllama import WordLlama

                _MODEL = WordLlama.load(cache_dir=Path(wordllama.__file__).parent,
                                        disable_download=True)
    return _MODEL


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length vectors, one row per text (256 dimensions)."""
    if not texts:
        return np.zeros((0, 256), dtype=np.float32)
    vectors = np.asarray(model().embed(list(texts), norm=True), dtype=np.float32)  # type: ignore[attr-defined]
    return vectors.reshape(len(texts), -1)


@lru_cache(maxsize=4096)
def _embed_one(text: str) -> np.ndarray:
    return embed([text])[0]


def sentences(text: str) -> list[str]:
    """The non-trivial sentences of ``text`` (three words or more, or any CJK text)."""
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= 3 or re.search(r"[\u3040-\u9fff]", p)]


def passages(section: KbSection) -> list[str]:
    """The units a section is embedded as: its heading trail, and heading + each paragraph."""
    units = [section.trail]
    for paragraph in _PARAGRAPH.split(section.body):
        text = " ".join(paragraph.split())
        if len(text) > 20:
            units.append(f"{section.title}: {text[:MAX_PASSAGE]}")
    return units


class SectionVectors:
    """Vectors of a KB's passages, computed once at index time; scores a text against them."""

    def __init__(self, sections: Sequence[KbSection]) -> None:
        self.ids = [s.id for s in sections]
        owners: list[int] = []
        units: list[str] = []
        for i, section in enumerate(sections):
            for unit in passages(section):
                owners.append(i)
                units.append(unit)
        self._owner = np.asarray(owners, dtype=np.int64)
        self._vectors = embed(units)

    def scores(self, text: str) -> dict[str, float]:
        """Per section id: the best cosine similarity of ``text`` with one of its passages."""
        sims = self._vectors @ _embed_one(text)
        best = np.full(len(self.ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims)
        return {sid: float(s) for sid, s in zip(self.ids, best, strict=True)}


def similarity(a: str, b: str) -> float:
    """Cosine similarity of two texts."""
    return float(_embed_one(a) @ _embed_one(b))


TOPIC_SIMILARITY = 0.70  # a sentence this close to a prototype is that topic (0.66 was the
#                          highest seen for a sentence of a mail without the topic)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # the model does not separate Japanese


class TopicPrototypes:
    """Prototype sentences per escalation category; finds a customer sentence close to one.

    A statement at ``threshold`` is enough; a question ("How do I turn off two-factor
    login?" is close to "my two-factor login was switched off") or a sentence only at
    ``cued_threshold`` also needs a cue of the category (the vectors ignore intent).
    """

    def __init__(self, prototypes: dict[str, tuple[str, ...]],
                 threshold: float = TOPIC_SIMILARITY, cues: dict[str, str] | None = None,
                 cued_threshold: float = TOPIC_SIMILARITY) -> None:
        self.threshold = threshold
        self.cued_threshold = cued_threshold
        self._cues = {c: re.compile(p) for c, p in (cues or {}).items()}
        self._category = [c for c, texts in prototypes.items() for _ in texts]
        self._text = [t for texts in prototypes.values() for t in texts]
        self._vectors = embed(self._text)

    def _similarities(self, text: str, categories: Sequence[str]
                      ) -> tuple[list[str], np.ndarray] | None:
        """The text's sentences (Japanese skipped) and their similarity to each prototype."""
        found = [s for s in sentences(text) if not _CJK.search(s)]
        if not found:
            return None
        sims = embed(found) @ self._vectors.T
        allowed = np.asarray([c in categories for c in self._category])
        sims[:, ~allowed] = -1.0
        return found, sims

    def nearest(self, text: str, categories: Sequence[str]) -> tuple[str, str, str, float] | None:
        """(category, statement, prototype, similarity) of the closest pair, or None.

        Questions are left out: the vectors ignore intent, and asking about a topic
        ("Can the lamp be used on a balcony in the rain?") is not reporting it.
        """
        statements = ". ".join(s for s in sentences(text) if not s.rstrip().endswith(("?", "？")))
        if (scored := self._similarities(statements, categories)) is None:
            return None
        found, sims = scored
        row, col = np.unravel_index(int(np.argmax(sims)), sims.shape)
        return self._category[col], found[row], self._text[col], float(sims[row, col])

    def closest(self, text: str, categories: Sequence[str]) -> tuple[str, str, str, float] | None:
        """(category, customer sentence, prototype, similarity) of the best match, or None."""
        if (scored := self._similarities(text, categories)) is None:
            return None
        found, sims = scored
        for row, col in zip(*np.unravel_index(np.argsort(-sims, axis=None), sims.shape),
                            strict=True):
            sim = float(sims[row, col])
            if sim < min(self.threshold, self.cued_threshold):
                return None
            category = self._category[col]
            cue = self._cues.get(category)
            asks = found[row].rstrip().endswith(("?", "？"))  # "How do I turn off 2FA?"
            if ((sim >= self.threshold and not asks)
                    or (cue is not None and cue.search(fold(found[row])))):
                return category, found[row], self._text[col], sim
        return None


@lru_cache(maxsize=1)
def topic_prototypes() -> TopicPrototypes:
    """The built-in prototypes (gateway/agent/prototypes.py), embedded once per process."""
    from gateway.agent.prototypes import CUED_SIMILARITY, CUES, PROTOTYPES

    return TopicPrototypes(PROTOTYPES, cues=CUES, cued_threshold=CUED_SIMILARITY)
