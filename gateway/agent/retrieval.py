"""Knowledge retrieval: customer text -> FTS5 query terms -> ranked KB sections with a confidence.

Query terms: the customer's own words (a forwarded or quoted thread below them is cut),
folded (lower case, no accents), minus stop words of eight languages, minus the customer's
own name; foreign support words get the English words of the glossary added (also for
German compounds, and for inflected forms by Snowball stem); Japanese contributes the
glossary words it contains; a word the KB lacks gets one synonym the KB uses (the English
support thesaurus, gateway/agent/synonyms.py). All terms are OR-ed.

Confidence of a hit (documented in docs/agent.md):

    strength   = s / (s + SATURATION * idf1)   s = -bm25 of the section (heading weight 3),
                                              idf1 = FTS5 idf of a term in one section
                                              (bm25 scales with it: 3.2 for 36 sections)
    coverage   = sum(credit(g) for each group g) / sum(w(g) for each group g)
    w(g)       = the largest idf(t) of g's terms the KB contains, else 0 for a place
                 name (lexicons.PLACES), else UNKNOWN_WEIGHT * idf of a one-section term
    credit(g)  = the largest idf(t) of g's terms the section contains, else 0
    confidence = strength * coverage          (0..1)

A group is one word of the question with its glossary translations ("rechnung",
"invoice"): the word matches a KB in the customer's language, the translation an English
KB, and either covers the word.

bm25 grows with the number and rarity of matched terms, so ``strength`` says "this section
matches well"; ``coverage`` says "and the question is mostly about what it covers". A
question in a language the KB does not speak keeps its unmapped words as unknown terms, so
its coverage (and confidence) stays low instead of answering on one stray match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer

from gateway.agent.lexicons import (
    CJK,
    EVERYDAY_WORDS,
    FUNCTION_WORDS,
    GLOSSARY,
    HOW_LONG,
    JA_FILLER,
    PLACES,
    STOP_WORDS,
    WORD,
    fold,
    words,
)
from gateway.agent.synonyms import SYNONYMS
from gateway.storage.knowledge import KbHit, KnowledgeIndex

SATURATION = 1.0  # in units of idf1, so that the formula does not depend on the KB size
UNKNOWN_WEIGHT = 0.5
# A foreign everyday word the KB lacks ("mi mujer", "geburtstag") is the story around a
# question more often than its subject: it weighs less than an unknown term ("Utrecht", "SSO").
# Not English words: "job" in "are you hiring? I'd love a job" is the subject.
EVERYDAY_UNKNOWN_WEIGHT = 0.35
MIN_AFFIX = 6  # glossary keys this long also match as prefix/suffix of a longer word
MAX_TERMS = 40
_GLUED_CODE = re.compile(r"([a-z]{2,5})(\d{3,5})")
_PHRASES = sorted((k for k in (*GLOSSARY, *EVERYDAY_WORDS, *HOW_LONG) if " " in k), key=len,
                  reverse=True)
_AFFIX_KEYS = sorted((k for k in GLOSSARY if " " not in k and len(k) >= MIN_AFFIX),
                     key=len, reverse=True)


@dataclass(frozen=True)
class ScoredHit:
    hit: KbHit
    confidence: float


@dataclass(frozen=True)
class Retrieval:
    groups: tuple[tuple[str, ...], ...]  # one per word of the question: the word + translations
    hits: tuple[ScoredHit, ...]  # in bm25 order, best first

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(flatten(self.groups))

    @property
    def confidence(self) -> float:
        """The confidence of the best-ranked (bm25) section."""
        return self.hits[0].confidence if self.hits else 0.0


def _translate(word: str) -> list[str]:
    """English words for a folded word: exact, plural, other final vowel, compound part."""
    if word in GLOSSARY:
        return GLOSSARY[word].split()
    if word in EVERYDAY_WORDS:
        return EVERYDAY_WORDS[word].split()
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
    return found or _by_stem(word)


STEMMED_LANGUAGES = ("german", "french", "spanish", "italian", "dutch", "portuguese", "polish")
MIN_STEM = 4


@lru_cache(maxsize=1)
def _stem_glossaries() -> list[tuple[Any, dict[str, str]]]:
    """Per language: its Snowball stemmer and the glossary keyed by stem (built once)."""
    tables = []
    for name in STEMMED_LANGUAGES:
        stemmer = snowballstemmer.stemmer(name)
        table: dict[str, str] = {}
        for key, english in GLOSSARY.items():
            if " " not in key and len(key) >= MIN_STEM and not _CJK.search(key):
                table.setdefault(stemmer.stemWord(key), english)
        tables.append((stemmer, table))
    return tables


@lru_cache(maxsize=20_000)
def _by_stem(word: str) -> list[str]:
    """English words for an inflected form the glossary lacks ("ändere" ~ "ändern")."""
    if len(word) <= MIN_STEM:
        return []
    for stemmer, table in _stem_glossaries():
        stem = stemmer.stemWord(word)
        if len(stem) >= MIN_STEM and stem in table:
            return table[stem].split()
    return []


_CJK = CJK
_CJK_KEYS = sorted((k for k in (*GLOSSARY, *EVERYDAY_WORDS) if _CJK.search(k)), key=len,
                   reverse=True)
_QUOTED = re.compile(
    r"^\s*(?:-{3,}\s*(?:forwarded message|original message|weitergeleitete nachricht"
    r"|message transfere|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht"
    r"|mensagem encaminhada|wiadomosc przekazana)|-{5,}\s*$|(?:on|am|le|el|il|op|em) .{5,80}"
    r" (?:wrote|schrieb|a ecrit|escribio|ha scritto|schreef|escreveu):\s*$)",
    re.IGNORECASE | re.MULTILINE,
)
MIN_OWN_TEXT = 20
_HEADER = re.compile(
    r"^\s*(?:-{3,}.*|(?:from|to|cc|subject|date|sent|von|an|betreff|gesendet|datum|de|a|objet"
    r"|envoye|para|asunto|enviado|fecha|da|oggetto|inviato|data|van|aan|onderwerp|verzonden"
    r"|datum|assunto|od|do|temat|wyslano)\s*:.*)$",
    re.IGNORECASE | re.MULTILINE,
)
MAX_POINTER_WORDS = 3  # own words above a forward this few only point at the forwarded mail
_FORWARD = re.compile(r"forward|weitergeleitet|transfere|reenviado|inoltrato|doorgestuurd"
                      r"|encaminhada|przekazana")
# Words that point at a forwarded mail rather than ask ("Dad asked me to pass this on, can
# you help him?", "Mein Chef bittet um Antwort, könnt ihr helfen?"), folded, nine languages.
POINTING = words(
    """asked ask asks pass passing passed forward forwarding forwarded below underneath help answer
    answers advise please pls look check find reply respond question questions mum mom mother
    dad father boss client customer wife husband son daughter colleague colleagues manager
    friend neighbour neighbor grandma grandpa parents team lead gefragt fragt bittet
    weiterleiten weitergeleitet unten helfen hilfe antwort antworten beantworten frage fragen
    mutter mama vater papa chef chefin kunde kundin frau mann sohn tochter kollege kollegin
    nachbar demande demandé transmettre transmis dessous aider aide reponse repondre question
    mere maman pere papa patron client cliente femme mari fils fille collegue voisin pregunto
    pidio pasar reenviar abajo ayudar ayuda respuesta responder pregunta madre mama padre papa
    jefe jefa cliente esposa marido hijo hija companero vecino chiesto chiede inoltrare sotto
    aiutare aiuto risposta rispondere domanda madre mamma padre papa capo cliente moglie marito
    figlio figlia collega vicino gevraagd vraagt doorsturen hieronder helpen hulp antwoord
    antwoorden vraag moeder vader baas klant vrouw man zoon dochter collega buurman buurvrouw
    pediu pede encaminhar abaixo ajudar ajuda resposta responder pergunta mae pai chefe cliente
    esposa marido filho filha colega vizinho prosil prosila przekazac ponizej pomoc odpowiedz
    odpowiedziec pytanie mama tata szef klient zona maz syn corka kolega sasiad""",
)


def own_text(text: str) -> str:
    """The customer's own words: a forwarded or quoted thread below them is cut off.

    A mail that is nothing but a forward, or whose only question is in the forwarded part
    ("Forwarding our developer's question:"), keeps everything; one whose own questions
    only point at the forward (three content words or fewer each: "Can you answer this
    for our lead?") keeps the forwarded mail. Forward header lines are dropped.
    """
    match = _QUOTED.search(fold(text))
    if match is None:
        return text
    own, forwarded = text[:match.start()], text[match.start():]
    if "?" in forwarded and _only_points(own):
        return _HEADER.sub("", forwarded)  # names and addresses are not the question
    if "?" not in own and _FORWARD.search(match.group(0)):
        return _HEADER.sub("", text)  # "see below from my mum": the forward is the matter
    if len(own.strip()) >= MIN_OWN_TEXT and ("?" in own or "?" not in text):
        return own
    return _HEADER.sub("", text)  # the question is only in the forwarded part


def _only_points(own: str) -> bool:
    """True when the customer's own questions only point at the forwarded mail."""
    asked = [p for p in re.split(r"(?<=[?？])|(?<=[.!。！])\s+|\n+", own) if p.strip()
             .endswith(("?", "？"))]
    return bool(asked) and all(
        len([w for w in _content_words(q) if w not in POINTING]) <= MAX_POINTER_WORDS
        for q in asked)


def _content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(fold(text)) if w not in STOP_WORDS and len(w) > 1]


def _cjk_words(folded: str) -> str:
    """Japanese/Chinese text has no spaces: glossary keys found as substrings, plus Latin words."""
    found = [k for k in _CJK_KEYS if k in folded]
    for filler in JA_FILLER:
        folded = folded.replace(fold(filler), " ")
    latin = re.findall(r"[a-z0-9][a-z0-9.-]*", _CJK.sub(" ", folded))
    return " ".join([*(k for k in found), *latin])


def query_groups(text: str, *, exclude: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """One group per content word of ``text``: the word itself and its English translations.

    The word is kept so that a KB in the customer's language still matches; glossary
    phrases ("mot de passe") stay one group whose first member is an FTS phrase.
    """
    folded_text = fold(own_text(text))
    if _CJK.search(folded_text):
        folded_text = _cjk_words(folded_text)
    folded = " " + " ".join(WORD.findall(folded_text)) + " "
    for phrase in _PHRASES:
        folded = folded.replace(f" {phrase} ", f" {phrase.replace(' ', '+')} ")
    skip = {fold(w) for name in exclude for w in WORD.findall(name)}
    groups: dict[tuple[str, ...], None] = {}
    for token in folded.split():
        word = token.replace("+", " ")
        if word in STOP_WORDS or word in HOW_LONG or word in skip or len(word) < 2:
            continue
        if word.isdigit() and not 3 <= len(word) <= 4:
            continue  # order numbers, phone numbers, dates; keep 401, 429, 2024
        if code := _GLUED_CODE.fullmatch(word):  # "hb1002" is the KB's "HB-1002"
            groups[(code[1],)] = groups[(code[2],)] = None
            continue
        found = (GLOSSARY.get(word) or EVERYDAY_WORDS[word]).split() if " " in word \
            else _translate(word)
        group = tuple(dict.fromkeys(t for t in [word, *found] if t not in STOP_WORDS))
        if group:
            groups[group] = None
    return list(groups)[:MAX_TERMS]


GLOSS_WORDS = 2  # English words kept per translated word


def gloss(text: str) -> str:
    """``text`` folded, each word the glossaries know replaced by its English words.

    Word-for-word English for models that only understand English (the topic prototypes):
    "alguien ha entrado en mi cuenta" -> "someone ha entered en mi account".
    """
    def english(match: re.Match[str]) -> str:
        found = _translate(match.group(0))
        return " ".join(found[:GLOSS_WORDS]) if found else match.group(0)

    return WORD.sub(english, fold(text))


_SENTENCE_SPLIT = re.compile(r"(?<=[?？。！])\s*|(?<=[.!])\s+|\n+")


_JA_QUESTION = re.compile(r"(?:か|かね|でしょうか|ますか|ですか)[。.]?$")  # 可能でしょうか。


def question_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that end in a question mark (any script), or in Japanese
    in the question particle か (polite questions often end in "か。")."""
    return [p.strip() for p in _SENTENCE_SPLIT.split(text)
            if p.strip().endswith(("?", "？")) or _JA_QUESTION.search(p.strip())]


def story_words(text: str) -> frozenset[str]:
    """Folded words said only outside the question sentences: the story around them.

    Empty when the mail asks nothing with a question mark (then all of it is the matter).
    """
    own = own_text(text)
    questions = question_sentences(own)
    if not questions:
        return frozenset()
    asked = set(WORD.findall(fold(" ".join(questions))))
    return frozenset(w for w in WORD.findall(fold(own)) if w not in asked)


def flatten(groups: Iterable[Sequence[str]]) -> list[str]:
    """All terms of all groups, in order, deduplicated: what the FTS query ORs."""
    return list(dict.fromkeys(t for group in groups for t in group))


def query_terms(text: str, *, exclude: Iterable[str] = ()) -> list[str]:
    return flatten(query_groups(text, exclude=exclude))


COGNATE_PREFIX = 6  # letters of the spelling-normalised word that must agree
_SPELLING = ((re.compile(r"(.)\1"), r"\1"), (re.compile(r"ph"), "f"), (re.compile(r"th"), "t"),
             (re.compile(r"[kq]"), "c"), (re.compile(r"z"), "s"), (re.compile(r"y"), "i"),
             (re.compile(r"w"), "v"))


def cognate_key(word: str) -> str:
    """A spelling-normalised prefix under which cognates meet: 'comentarios' and 'comments'
    -> 'coment', 'repozytorium' and 'repository' -> 'reposi', 'aplicacao' and
    'application' -> 'aplica'."""
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word[:COGNATE_PREFIX]


class Retriever:
    """Ranks KB sections for a question and scores each hit's confidence.

    A word the KB and the glossary both lack is matched to the KB's own words that share
    its spelling-normalised first six letters (cognates: "comentarios" ~ "comments",
    "audytu" ~ "audit"), when at most MAX_COGNATES KB words do.
    """

    MAX_COGNATES = 3

    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._rare_idf = index.idf_for(1)
        self._cognates: dict[str, set[str]] = {}
        for section in index.sections:
            for word in WORD.findall(fold(f"{section.title} {section.body}")):
                if len(word) >= COGNATE_PREFIX - 1 and word.isalpha():  # "audit" too
                    self._cognates.setdefault(cognate_key(word), set()).add(word)

    def with_synonyms(self, groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """A group the KB cannot match gets the first synonym of its terms that the KB
        uses ("guarantee" ~ "warranty", "postage" ~ "shipping"; gateway/agent/synonyms.py).

        One synonym, and only for a word the KB lacks: on the labelled sets more of them,
        or synonyms of words the KB has, answered more mails from the wrong section.
        """
        out = []
        for group in groups:
            if not any(self.index.document_frequency(t) for t in group):
                used = (s for t in group for s in SYNONYMS.get(t, ())
                        if self.index.document_frequency(s))
                if (first := next(used, None)) is not None:
                    group = (*group, first)
            out.append(group)
        return out

    def expand(self, groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """Synonyms the KB uses, then cognates for a group it still cannot match."""
        return self.with_cognates(self.with_synonyms(groups))

    def with_cognates(self, groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """Each group the KB cannot match gets the KB words that are its cognates."""
        out = []
        for group in groups:
            word = group[0]
            if (len(word) >= COGNATE_PREFIX and word.isalpha()
                    and not any(self.index.document_frequency(t) for t in group)):
                key = cognate_key(word)
                found = self._cognates.get(key, set())
                if len(word) == COGNATE_PREFIX:  # an inflected 5-letter word: "audytu"
                    found = found | self._cognates.get(key[:-1], set())
                if 0 < len(found) <= self.MAX_COGNATES:
                    group = (*group, *sorted(found))
            out.append(group)
        return out

    def weight(self, group: Sequence[str], story: frozenset[str] = frozenset(),
               asks: bool = True) -> float:
        """The IDF of the group's best-known term; a share of the rare IDF if none is known.

        A foreign everyday word the KB lacks weighs less when it is only ``story`` (said
        outside the question sentences); a function word of another language ("tenemos",
        "takie", "sommes") weighs nothing in a mail that ``asks`` a question. A mail that
        asks nothing ("Someone is using my login, I'm sure of it.") keeps its weight: what
        it reports is more often for a person than for an article.
        """
        known = [self.index.idf(t) for t in group if self.index.document_frequency(t)]
        if known:
            return max(known)
        if all(t in PLACES for t in group):  # "shipping to Poland" is about shipping
            return 0.0
        if asks and group[0] in FUNCTION_WORDS:
            return 0.0
        if group[0] in EVERYDAY_WORDS and group[0] in story:
            return EVERYDAY_UNKNOWN_WEIGHT * self._rare_idf
        return UNKNOWN_WEIGHT * self._rare_idf

    def credit(self, hit: KbHit, group: Sequence[str]) -> float:
        """What the section earns for a group: the weight of its best matched term."""
        matched = [t for t in group if t in hit.matched]
        return self.weight(matched) if matched else 0.0

    def confidence(self, hit: KbHit, groups: Sequence[Sequence[str]],
                   story: frozenset[str] = frozenset(), asks: bool = True) -> float:
        total = sum(self.weight(g, story, asks) for g in groups)
        if total <= 0 or hit.score <= 0:
            return 0.0
        coverage = sum(self.credit(hit, g) for g in groups) / total
        strength = hit.score / (hit.score + SATURATION * self._rare_idf)
        return round(strength * coverage, 4)

    def retrieve_sync(self, text: str, *, exclude: Iterable[str] = (), limit: int = 5
                      ) -> Retrieval:
        groups = self.expand(query_groups(text, exclude=exclude))
        hits = self.index.search(flatten(groups), limit)
        story = story_words(text)
        asks = bool(question_sentences(own_text(text)))
        return Retrieval(tuple(groups), tuple(
            ScoredHit(h, self.confidence(h, groups, story, asks)) for h in hits))
