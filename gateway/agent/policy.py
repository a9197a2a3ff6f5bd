"""Escalation policy shared by every agent: the deterministic rules checked before answering.

Precedence (first match wins), all on the latest customer turns (those after the last
ai/agent turn):

1. user_request       - the customer asks for a human, a call or a manager (9 languages),
                        unless the request is negated ("no need to call me back");
2. prohibited_topic   - a phrase from agent.prohibited_topics appears (word boundaries,
                        case- and accent-insensitive), or a built-in detector of
                        agent.prohibited_categories fires (gateway/agent/detectors.py),
                        or (agent.semantic) a sentence is close in meaning to one of the
                        category's prototype sentences (gateway/agent/prototypes.py);
3. negative_sentiment - the adjusted VADER compound <= agent.negative_sentiment_threshold;
4. repeated_contact   - customer turns since the last reply, or in the whole session,
                        >= agent.repeated_contact_threshold.

An explicit wish for a human beats everything because it is what the customer asked for;
legal/prohibited topics beat mood because they decide who in the team must answer; anger
beats repetition because it is the more urgent signal. Only if none applies does the agent
try to answer (and escalates missing_knowledge when it cannot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from gateway.agent.base import Analysis, EscalationReason, Transcript
from gateway.agent.detectors import TopicHit, detect_topic
from gateway.agent.lexicons import WORD, fold
from gateway.agent.semantic import topic_prototypes
from gateway.agent.sentiment import sarcasm
from gateway.config import AgentConfig

_GAP = r"[^.?!\n]{0,30}?"  # a few words inside one sentence

# Patterns run on folded text (lower case, no accents, apostrophes normalised).
HUMAN_REQUEST_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        r"\b(?:speak|talk|chat|get through|connect me|put me through|transfer me)\b" + _GAP
        + r"\b(?:human|humans|person|people|agent|representative|rep|manager|supervisor"
        r"|someone|somebody|anyone|staff|employee|operator)\b",
        r"\b(?:real|actual|live|human)\s+(?:human|person|people|agent|being|representative"
        r"|employee|member of staff)\b",
        r"\b(?:want|need|demand|ask for|get me|give me|request)\b" + _GAP
        + r"\b(?:a human|a person|a manager|your manager|a supervisor|your supervisor)\b",
        r"\b(?:call|phone|ring)\s+me\b|\bcall\s?back\b|\bgive me a (?:call|ring)\b",
        r"\b(?:schedule|arrange|book|set up|have|get)\s+(?:a|an)\s+(?:quick\s+)?"
        r"(?:phone call|call|video call|meeting)\b",
        r"\bescalate\s+(?:this|it|my|the|to)\b",
        r"\b(?:forward(?:ed)?|pass(?:ed)?|hand(?:ed)?|send|sent|transfer(?:red)?|refer(?:red)?"
        r"|bump(?:ed)?|escalated?)\b" + _GAP
        + r"\b(?:to|on to|over to)\s+(?:a|your|the|an|someone|somebody)?\s*(?:senior\s+)?"
        r"(?:supervisor|manager|human|person|team lead|someone|somebody|colleague)\b",
        r"\b(?:real|actual|live)\s+(?:support\s+)?(?:team member|staff member)\b",
        r"\b(?:a|your|the)\s+(?:supervisor|manager|account manager|team lead|senior\s+\w+)"
        r"\s+to\s+(?:review|look at|check|handle|call|contact)\b",
        r"\bput me (?:in touch|through) with\b|\b(?:an?|my|our) account manager\b",
        r"\b(?:let|have|get|need|want)\s+(?:a|an|some|one of your)\s+(?:real\s+)?(?:human"
        r"|humans|person|people|human being|staff member|member of (?:your|the) team)"
        r"\s+(?:to\s+)?(?:handle|look|deal|check|review|take|answer|reply|respond|sort)\w*",
        r"\b(?:colleagues?|someone|somebody|a person|a human|member of (?:your|the) (?:staff|team)"
        r"|one of your \w+)\b" + _GAP + r"\b(?:get in touch|contact me|reach out to me"
        r"|call me|ring me|phone me)\b",
        r"\b(?:no|not|stop|enough)\b(?:\s+\w+){0,3}\s+(?:bots?|robots?|chatbots?"
        r"|automated (?:answers?|replies|responses?)|canned (?:answers?|responses?))\b",
    ),
    "de": (
        r"\b(?:leiten|geben|reichen)\s+sie\b" + _GAP + r"\b(?:vorgesetzt\w*|mensch\w*"
        r"|mitarbeiter\w*|teamleit\w*|kolleg\w*)\b",
        r"\bmit jemandem (?:aus|von|bei)\b" + _GAP + r"\bverbinden\b",
        r"\ban (?:einen|eine|ihren|ihre) (?:kolleg\w*|vorgesetzt\w*|mitarbeiter\w*"
        r"|teamleit\w*)\b" + _GAP + r"\b(?:weitergeben|weiterleiten|ubergeben"
        r"|weiterzugeben|weiterzuleiten|zu ubergeben)\b",
        r"\bpersonlich\s+(?:klaren|sprechen|besprechen)\b",
        r"\b(?:echte[nmrs]?|reale[nmrs]?|richtige[nmrs]?|lebende[nmrs]?)\s+"
        r"(?:mensch|menschen|person|mitarbeiter\w*|ansprechpartner\w*)\b",
        r"\b(?:mensch|menschen|mitarbeiter\w*|vorgesetzte\w*|ansprechpartner\w*|kundenberater"
        r"\w*|berater\w*|teamleiter\w*|chef)\b" + _GAP + r"\b(?:sprechen|reden|telefonieren"
        r"|verbinden|erreichen)\b",
        r"\b(?:sprechen|reden|telefonieren|verbinden sie mich|verbindet mich|mich)\s+mit\s+"
        r"(?:einem|einer|ihrem|ihrer|dem|der)\s+"
        r"(?:mensch|menschen|mitarbeiter\w*|vorgesetzte\w*|person|berater\w*)\b",
        r"\b(?:rufen sie mich|ruft mich|mich\s+(?:bitte\s+)?(?:zuruck|an)?rufen|ruckruf\w*"
        r"|zuruckrufen|zuruckgerufen|angerufen werden)\b",
        r"\bkein(?:en|e)?\s+(?:bot|roboter|chatbot|ki|maschine)\b",
    ),
    "fr": (
        r"\b(?:transmettre|transferer|transmettez|transferez|passer|transmise?s?)\b" + _GAP
        + r"\b(?:responsable|superieur\w*|conseiller\w*|humain|manager|quelqu'un)\b",
        r"\ben chair et en os\b",
        r"\b(?:parler|discuter|echanger|joindre|contacter)\b" + _GAP
        + r"\b(?:humain|humaine|conseiller\w*|agent|responsable|etre humain|operat\w+"
        r"|quelqu'un|superieur|manager|interlocut\w+|une personne|la personne)\b",
        r"\b(?:vrai|vraie|veritable)s?\s+(?:humain|personne|conseiller\w*|agent|interlocut\w+)\b",
        r"\b(?:rappelez[- ]moi|me rappeler|m'appeler|appelez[- ]moi|me telephoner"
        r"|me faire rappeler|de vive voix)\b",
        r"\b(?:etre|soit|suis)\s+(?:re)?(?:rappele|contacte|appele)e?s?\s+par\b"
        r"|\bun rappel(?: telephonique)?\b",
        r"\bpas\s+(?:a\s+|avec\s+)?(?:un|une)\s+(?:robot|bot|machine)\b",
    ),
    "es": (
        r"\b(?:pasar|pase|pases|pasen|pasenme|paseme|pasadme|pasame|pasarme|transferir|transfiera"
        r"|escalar|escale|derivar|derive)\b"
        + _GAP + r"\b(?:supervisor\w*|responsable|encargad\w+|gerente|humano|persona)\b",
        r"\b(?:hablar|comunicarme|contactar|atender|atienda|atiendan)\b" + _GAP
        + r"\b(?:persona|humano|humana|agente|representante|asesor\w*|supervisor\w*"
        r"|encargad\w+|responsable|gerente|operador\w*|alguien)\b",
        r"\b(?:persona|agente)\s+(?:real|de verdad|humano|humana)\b|\bser humano\b",
        r"\b(?:llamenme|llameme|llamadme|me llamen|me llame|llamarme|devolverme la llamada)\b",
        r"\b(?:me|nos) (?:podria|podrian|puede|pueden|podrias) llamar\b"
        r"|\bllamar(?:me|nos)? (?:alguien )?por telefono\b",
        r"\bque me (?:contacte|contacten|devuelvan la llamada)\b|\bser (?:llamad|contactad)[oa]\b",
        r"\bno\s+(?:con\s+)?(?:un|una)\s+(?:bot|robot|maquina|sistema automatico"
        r"|contestador)\b",
    ),
    "nl": (
        r"\b(?:doorsturen|doorverbinden|doorzetten|escaleren)\b" + _GAP
        + r"\b(?:leidinggevende|manager|medewerker|mens)\b|\b(?:leidinggevende|manager)\b"
        + _GAP + r"\b(?:doorsturen|doorzetten|doorverbinden)\b",
        r"\b(?:echte?|levende?)\s+(?:mens|persoon|medewerker)\b",
        r"\b(?:spreken|praten)\s+met\b" + _GAP
        + r"\b(?:mens|persoon|medewerker|manager|leidinggevende|iemand)\b",
        r"\b(?:mens|persoon|medewerker|manager|leidinggevende|iemand)\b" + _GAP
        + r"\b(?:spreken|praten)\b",
        r"\b(?:bel me|bel mij|belt u mij|terugbellen|teruggebeld|opbellen)\b"
        r"|\b(?:mij|me)\s+(?:even\s+|eens\s+|graag\s+)?bellen\b",
        r"\bgeen\s+(?:bot|robot|chatbot)\b",
    ),
    "pt": (
        r"\b(?:encaminhar|encaminhe|transferir|transfira|passar|passe)\b" + _GAP
        + r"\b(?:supervisor\w*|gerente|responsavel|humano|atendente)\b",
        r"\b(?:falar|conversar)\b" + _GAP
        + r"\b(?:pessoa|humano|humana|atendente|agente|gerente|supervisor\w*|responsavel"
        r"|alguem|representante|operador\w*)\b",
        r"\b(?:pessoa|atendente)\s+(?:real|de verdade|humana?)\b|\bser humano\b",
        r"\b(?:me liguem|me ligue|ligar para mim|ligue-me|liguem-me|me telefonem|me ligasse"
        r"|me ligassem)\b",
        r"\btratar (?:disto|disso|isto|isso) com uma pessoa\b|\bcom uma pessoa e nao com\b",
        r"\bser (?:contactad|contatad|chamad)[oa] por\b",
        r"\bnao\s+(?:com\s+)?(?:um|uma)\s+(?:robo|bot|maquina)\b",
        r"\bde carne e osso\b|\b(?:falar|conversar) com (?:um )?robo\b|\balguem\b"
        r"[^.?!\n]{0,30}\bme ligar\b",
    ),
    "pl": (
        r"\b(?:rozmawiac|porozmawiac|rozmowy|polaczyc|kontakt)\b" + _GAP
        + r"\b(?:czlowiekiem|konsultantem|konsultantka|kierownikiem|przelozonym|kims"
        r"|pracownikiem|osoba)\b",
        r"\b(?:zywy|prawdziwy|prawdziwa|zywa)\s+(?:czlowiek|konsultant\w*|osoba|pracownik\w*)\b",
        r"\b(?:zadzwoncie|zadzwon|prosze zadzwonic|oddzwonic|oddzwoncie)\b"
        r"|\bprosze o (?:telefon|kontakt telefoniczny)\b",
        r"\b(?:przekazac|przekazcie|przekaz)\b" + _GAP + r"\b(?:kierownik\w*|przelozon\w*"
        r"|konsultant\w*|czlowiek\w*|osob\w* odpowiedzialn\w*)\b",
        r"\bnie (?:z |ze )?(?:botem|robotem|automatem|bot|robot|automat)\b",
    ),
    "it": (
        r"\b(?:parlare|contattare|sentire)\b" + _GAP
        + r"\b(?:persona|umano|operatore|operatrice|responsabile|supervisore|qualcuno"
        r"|addetto|consulente|manager)\b",
        r"\b(?:persona|operatore)\s+(?:reale|vera|umano)\b|\bessere umano\b"
        r"|\bin carne e ossa\b",
        r"\b(?:mi fate|fatemi|mi faccia|mi potete far|potete farmi) (?:ri)?(?:chiamare"
        r"|contattare)\b",
        r"\b(?:richiamatemi|chiamatemi|mi richiami|mi chiami|mi chiamate|mi richiamate)\b",
        r"\binoltrate\b" + _GAP + r"\b(?:responsabile|supervisore|manager|superiore)\b",
        r"\bessere (?:ri)?(?:chiamat|contattat)[oa]\b",
        r"\bnon\s+(?:con\s+)?(?:un|una)\s+(?:bot|robot|macchina)\b",
    ),
}
# Japanese: no word boundaries; patterns are folded (NFKD drops the dakuten) at compile time.
JA_HUMAN_REQUEST = (
    r"(?:担当者|担当|オペレーター|人間|スタッフ|上司|責任者|係の人|人)(?:の方)?(?:と|に)"
    r".{0,4}?(?:話|代わ|つな|繋|相談|連絡)",
    r"(?:電話|お電話|折り返し)(?:を|で|の)?(?:ください|下さい|お願い|ほしい|欲しい|して"
    r"|いただけ|頂け|もらえ|くれ)",
    r"(?:上司|責任者|担当者)(?:の方)?(?:に|へ)(?:転送|回して|エスカレ|伝えて)",
    r"(?:ボット|ロボット|自動返信|自動応答)(?:ではなく|じゃなく)",
    r"(?:担当|担当者|人)(?:の方)?(?:から|より)(?:直接)?(?:ご|お)?(?:連絡|回答|電話)",
    r"人間の(?:担当|方|スタッフ|オペレーター)",  # "a human member of staff"
    r"お話し(?:でき|させて|したい)",  # "could we talk?"
)
# A human request right after one of these (same sentence) is declined, not asked for.
NEGATIONS = re.compile(
    r"(?:\bno need(?: for| to)?|\bdon'?t|\bdo not|\bnot necessary|\bnot|\bnever|\bno"
    r"|\bwithout|\bkein\w*|\bnicht|\bnie|\bpas besoin(?: de)?|\binutile de|\bne|\bsans"
    r"|\bno hace falta|\bno es necesario|\bsin|\bnon|\bsenza|\bgeen|\bniet|\bhoeft niet"
    r"|\bnao|\bsem|\bnie trzeba|\bbez)\b[^.?!\n,;]{0,24}$"
)
JA_DECLINED = re.compile(r"(?:不要|結構です|いりません|必要ありません|しないて|なくて大丈夫)")
_HUMAN_REQUEST = [
    (lang, re.compile(p)) for lang, patterns in HUMAN_REQUEST_PATTERNS.items() for p in patterns
]


@dataclass(frozen=True)
class PolicyHit:
    reason: EscalationReason
    detail: str


_HUMAN_REQUEST += [("ja", re.compile(fold(p))) for p in JA_HUMAN_REQUEST]


def declined(folded: str, match: re.Match[str], lang: str) -> bool:
    """True when the request is negated in its sentence ("no need to call me back")."""
    if lang == "ja":
        end = min(len(folded), match.end() + 12)
        return bool(JA_DECLINED.search(fold(folded[match.start():end])))
    start = max(folded.rfind(c, 0, match.start()) for c in ".?!\n")
    return bool(NEGATIONS.search(folded[start + 1:match.start()] + " "))


def asks_for_human(text: str) -> str | None:
    """The phrase by which the customer asks for a human, or None (negated requests skip)."""
    folded = fold(text)
    for lang, pattern in _HUMAN_REQUEST:
        for match in pattern.finditer(folded):
            if not declined(folded, match, lang):
                return f"{match.group(0)!r} ({lang})"
    return None


_SENTENCES = re.compile(r"[^.?!\n]+[.?!\n]*")
_CLAUSE_END = re.compile(r"[,;:]")


@lru_cache(maxsize=256)  # the question text is read several times per decision
def without_declined(text: str) -> str:
    """The text without the clauses that decline a human ("no need to call me back, ...").

    What a customer turns down is not what they ask about: "forward" and "manager" in
    "You don't need to forward this to a manager, simple question: ..." are not the question.
    The clause runs from its sentence's start to the first comma, semicolon or colon after
    the request (folding keeps punctuation, so the n-th mark is the same in both texts); a
    lead-in after it up to a colon goes too ("..., a written answer is fine: how do I ...").
    """
    kept = []
    for sentence in _SENTENCES.findall(text):
        folded = fold(sentence)
        refused = [m for lang, p in _HUMAN_REQUEST for m in p.finditer(folded)
                   if declined(folded, m, lang)]
        if not refused:
            kept.append(sentence)
            continue
        marks = len(_CLAUSE_END.findall(folded[:max(m.end() for m in refused)]))
        ends = [m.end() for m in _CLAUSE_END.finditer(sentence)]
        rest = sentence[ends[marks]:] if marks < len(ends) else " "
        kept.append(rest.split(":", 1)[-1])  # and its lead-in: "email is fine: how do I ..."
    return "".join(kept)


def semantic_topic(text: str, categories: tuple[str, ...]) -> TopicHit | None:
    """A sentence close in meaning to a prototype of an active category (the model's view)."""
    found = topic_prototypes().closest(text, categories)
    if found is None:
        return None
    category, sentence, prototype, sim = found
    return TopicHit(category, f"semantic {sim:.2f} ~ {prototype[:60]!r}", sentence[:120])


def topic_pattern(phrase: str) -> re.Pattern[str]:
    """Word-boundary, case/accent-insensitive pattern for one prohibited phrase."""
    words = [re.escape(w) for w in fold(phrase).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def mask_name(text: str, name: str) -> str:
    """Blank out the customer's own name, so that 'Sue Miller' is not the topic 'sue'."""
    folded = fold(text)
    for word in {fold(w) for w in WORD.findall(name) if len(w) > 1}:
        folded = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", folded)
    return folded


class EscalationPolicy:
    """Applies the rules above with the thresholds and phrases from AgentConfig."""

    def __init__(self, cfg: AgentConfig) -> None:
        self.cfg = cfg
        self._topics = [(p, topic_pattern(p)) for p in cfg.prohibited_topics if p.strip()]
        self._categories = tuple(cfg.prohibited_categories)

    def prohibited_topic(self, text: str, customer_name: str = "") -> str | None:
        """The configured phrase that occurs, else None (see ``topic`` for the detectors)."""
        folded = mask_name(text, customer_name)
        for phrase, pattern in self._topics:
            if pattern.search(folded):
                return phrase
        return None

    def topic(self, text: str, customer_name: str = "") -> str | None:
        """Evidence of a prohibited topic: a configured phrase or a built-in detector hit."""
        if phrase := self.prohibited_topic(text, customer_name):
            return f"phrase {phrase!r}"
        hit = detect_topic(mask_name(text, customer_name), self._categories)
        if hit is None and self.cfg.semantic:
            hit = semantic_topic(text, self._categories)
        return str(hit) if hit else None

    def repeated_contact(self, transcript: Transcript) -> str | None:
        pending = len(transcript.pending_customer_turns())
        total = len(transcript.customer_turns())
        limit = self.cfg.repeated_contact_threshold
        if pending >= limit:
            return f"{pending} customer mails since the last reply (threshold {limit})"
        if total >= limit:
            return f"{total} customer mails in this conversation (threshold {limit})"
        return None

    def check(self, transcript: Transcript, analysis: Analysis) -> PolicyHit | None:
        """The first rule that applies, in the documented precedence, or None."""
        text = transcript.pending_text()
        if phrase := asks_for_human(text):
            return PolicyHit(EscalationReason.USER_REQUEST, f"asked for a human: {phrase}")
        if topic := self.topic(text, transcript.customer_name):
            return PolicyHit(EscalationReason.PROHIBITED_TOPIC, f"prohibited topic: {topic}")
        threshold = self.cfg.negative_sentiment_threshold
        if analysis.sentiment_score <= threshold:
            return PolicyHit(
                EscalationReason.NEGATIVE_SENTIMENT,
                f"sentiment {analysis.sentiment_score:+.2f} <= {threshold:+.2f}"
                f" (language {analysis.language}"
                + (f", sarcasm {irony!r}" if (irony := sarcasm(text)) else "") + ")",
            )
        if repeated := self.repeated_contact(transcript):
            return PolicyHit(EscalationReason.REPEATED_CONTACT, repeated)
        return None
