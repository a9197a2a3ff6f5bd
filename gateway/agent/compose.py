"""Reply text: greeting by name, KB sections condensed into Markdown, and no signature ever.

The renderer (gateway/replies.py) adds the per-domain signature; the agent must not write
one. ``strip_signoff`` removes a sign-off a language model adds anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.lexicons import WORD, fold, words
from gateway.storage.knowledge import KbSection

SECTION_CHARS = 900  # a section body longer than this is cut at a paragraph boundary
_TITLES = words("mr mrs ms miss dr prof herr frau m mme mlle sr sra srta dhr mevr sig sig.ra")


@dataclass(frozen=True)
class Phrases:
    greeting: str  # "{name}" is replaced; used without a name as "greeting_anon"
    greeting_anon: str
    intro: str  # before the KB sections
    english_note: str  # when the customer's language is not the KB's (English) one
    outro: str


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        "Hi {name},", "Hi,",
        "Thanks for your message.", "",
        "If this doesn't solve it, just reply to this email and a member of our team will "
        "take over.",
    ),
    "de": Phrases(
        "Hallo {name},", "Hallo,", "danke für Ihre Nachricht.",
        "Unsere Hilfeartikel gibt es bisher nur auf Englisch; hier ist, was dort zu Ihrer "
        "Frage steht:",
        "Falls das Ihre Frage nicht beantwortet, antworten Sie einfach auf diese E-Mail, dann "
        "übernimmt jemand aus unserem Team.",
    ),
    "fr": Phrases(
        "Bonjour {name},", "Bonjour,", "merci pour votre message.",
        "Nos articles d'aide n'existent pour l'instant qu'en anglais ; voici ce qu'ils disent "
        "à ce sujet :",
        "Si cela ne répond pas à votre question, répondez simplement à cet e-mail et un "
        "membre de notre équipe prendra le relais.",
    ),
    "es": Phrases(
        "Hola, {name}:", "Hola:", "gracias por su mensaje.",
        "Por ahora nuestros artículos de ayuda solo están en inglés; esto es lo que dicen "
        "sobre su pregunta:",
        "Si esto no resuelve su consulta, responda a este correo y una persona de nuestro "
        "equipo se encargará.",
    ),
    "nl": Phrases(
        "Hallo {name},", "Hallo,", "bedankt voor uw bericht.",
        "Onze helpartikelen zijn voorlopig alleen in het Engels beschikbaar; dit staat er "
        "over uw vraag:",
        "Lost dit uw vraag niet op? Beantwoord dan gewoon deze e-mail, dan neemt iemand van "
        "ons team het over.",
    ),
    "pt": Phrases(
        "Olá, {name},", "Olá,", "obrigado pela sua mensagem.",
        "Por enquanto, os nossos artigos de ajuda só existem em inglês; eis o que dizem sobre "
        "a sua pergunta:",
        "Se isto não resolver a sua questão, basta responder a este e-mail e alguém da nossa "
        "equipa dará seguimento.",
    ),
    "it": Phrases(
        "Buongiorno {name},", "Buongiorno,", "grazie per il suo messaggio.",
        "Per ora i nostri articoli di assistenza sono disponibili solo in inglese; ecco cosa "
        "dicono sulla sua domanda:",
        "Se questo non risolve la sua richiesta, risponda semplicemente a questa e-mail e una "
        "persona del nostro team se ne occuperà.",
    ),
    "pl": Phrases(
        "Dzień dobry {name},", "Dzień dobry,", "dziękujemy za wiadomość.",
        "Nasze artykuły pomocy są na razie dostępne tylko po angielsku; poniżej odpowiedź z "
        "nich:",
        "Jeśli to nie rozwiązuje problemu, wystarczy odpowiedzieć na tę wiadomość, a ktoś z "
        "naszego zespołu się tym zajmie.",
    ),
    "ja": Phrases(
        "{name} 様", "お問い合わせありがとうございます。", "お問い合わせありがとうございます。",
        "ヘルプ記事は現在英語のみのため、以下に英語で回答いたします。",
        "解決しない場合は、このメールにご返信ください。担当者が対応いたします。",
    ),
}
# "From our help centre" before the supporting passage, per language.
SOURCE_LABEL: dict[str, str] = {
    "en": "From our help centre", "de": "Aus unserem Hilfe-Center",
    "fr": "Extrait de notre centre d'aide", "es": "De nuestro centro de ayuda",
    "nl": "Uit ons helpcentrum", "pt": "Do nosso centro de ajuda",
    "it": "Dal nostro centro assistenza", "pl": "Z naszego centrum pomocy",
    "ja": "ヘルプセンターより",
}
DIRECT_UNITS = 2  # sentences, list items or table rows quoted as the direct answer
RUNNER_UP = 0.75  # a second unit is quoted if it scores at least this share of the best
_URL = re.compile(r"(?<![<(\[])\bhttps?://[^\s<>)\]]+[^\s<>)\].,;:!?]")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)  # may wrap lines
_UNIT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜÉ0-9])")
_STEM = 5  # words compared on their first five letters ("refunds" ~ "refund")

_SIGNOFF = re.compile(
    r"^\s*(?:best|kind|warm|warmest)?\s*(?:regards|wishes)\b|^\s*(?:sincerely|cheers|best"
    r"|thanks|thank you|many thanks|yours(?: truly| sincerely)?)\s*[,!.]?\s*$"
    r"|^\s*(?:mit freundlichen grussen|freundliche grusse|viele grusse|beste grusse|lg|mfg"
    r"|cordialement|bien a vous|bien cordialement|saludos(?: cordiales)?|atentamente"
    r"|un saludo|met vriendelijke groet(?:en)?|groeten|atenciosamente|cumprimentos"
    r"|cordiali saluti|distinti saluti|saluti)\s*[,!.]?\s*$"
    r"|^\s*\[(?:your name|name|signature)\]",
    re.IGNORECASE,
)


def display_name(customer_name: str) -> str:
    """The name to greet with: the first name, or the whole name after a title; '' if none."""
    words = customer_name.replace('"', " ").split()
    if not words or "@" in customer_name:
        return ""
    if fold(words[0]).rstrip(".") in _TITLES and len(words) > 1:
        return " ".join(words)
    return words[0]


def greeting(customer_name: str, language: str) -> str:
    phrases = PHRASES.get(language, PHRASES["en"])
    name = display_name(customer_name)
    return phrases.greeting.format(name=name) if name else phrases.greeting_anon


def condense(body: str, limit: int = SECTION_CHARS) -> str:
    """Whole paragraphs of ``body`` up to ``limit`` characters (at least the first one)."""
    kept: list[str] = []
    size = 0
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        if kept and size + len(paragraph) > limit:
            kept.append("…")
            break
        kept.append(paragraph)
        size += len(paragraph)
    return "\n\n".join(kept)


def plain(markdown: str) -> str:
    """KB Markdown that reads well as plain text too: no ** or __, bare URLs as <autolinks>.

    The text part of a reply is the Markdown source, so emphasis markers would show;
    ``<https://…>`` is a link in the HTML part and a readable URL in the text part.
    """
    return _URL.sub(lambda m: f"<{m.group(0)}>", _EMPHASIS.sub(r"\2", markdown))


def _stems(text: str) -> set[str]:
    return {w[:_STEM] for w in WORD.findall(fold(text)) if len(w) > 1}


def _units(body: str) -> list[str]:
    """Sentences, list items and table rows (as "Header: value, …") of a section body."""
    units: list[str] = []
    header: list[str] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = block.splitlines()
        if lines and lines[0].lstrip().startswith("|"):
            rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
            header = rows[0]
            for row in rows[1:]:
                if all(set(c) <= set("-: ") for c in row):
                    continue
                pairs = [f"{h}: {c}" for h, c in zip(header[1:], row[1:], strict=False)]
                units.append(f"{row[0]} — " + ", ".join(pairs))
            continue
        if all(re.match(r"\s*(?:[-*]|\d+\.)\s", ln) for ln in lines if ln.strip()):
            units += [re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", ln) for ln in lines if ln.strip()]
            continue
        units += [u.strip() for u in _UNIT_SPLIT.split(" ".join(ln.strip() for ln in lines))]
    return [u for u in units if u]


def _score(unit: str, wanted: set[str]) -> int:
    """Shared words, longer (more specific) ones counting more: "paypal" beats "pay"."""
    return sum(len(stem) for stem in _stems(unit) & wanted)


def direct_answer(section: KbSection, terms: list[str], limit: int = DIRECT_UNITS
                  ) -> list[str]:
    """The units of ``section`` that share the most words with the question (in KB order)."""
    wanted = {t[:_STEM] for term in terms for t in fold(term).split() if len(t) > 1}
    if not wanted:
        return []
    units = _units(section.body)
    scored = [(_score(u, wanted), i) for i, u in enumerate(units)]
    best = max((score for score, _ in scored), default=0)
    if best == 0:
        return []
    top = sorted((i for score, i in scored if score >= best * RUNNER_UP),
                 key=lambda i: -scored[i][0])[:limit]
    return [units[i] for i in sorted(top)]


def direct_answers(sections: list[KbSection], questions: list[tuple[list[str], str]]
                   ) -> list[str]:
    """One unit per question, in question order, no repeats.

    ``questions`` holds each question's words and the id of the section its own retrieval
    ranked first; on a tie that section's unit wins, then the earlier unit.
    """
    found: list[str] = []
    for terms, preferred in questions:
        wanted = {t[:_STEM] for term in terms for t in fold(term).split() if len(t) > 1}
        candidates = [(_score(u, wanted), section.id == preferred, -n, u)
                      for section in sections for n, u in enumerate(_units(section.body))]
        best = max(candidates, default=None)
        if best and best[0] and best[3] not in found:
            found.append(best[3])
    return found


def compose_reply(
    sections: list[KbSection], customer_name: str, language: str, kb_language: str = "en",
    terms: list[str] | None = None, questions: list[tuple[list[str], str]] | None = None,
) -> str:
    """The Markdown reply: greeting, intro, the direct answer, then each supporting passage.

    ``terms`` are the question's words (and their translations); ``questions`` the words of
    each question sentence when the mail asks several. Without them the reply quotes the
    sections only.
    """
    phrases = PHRASES.get(language, PHRASES["en"])
    intro = phrases.intro
    if language != kb_language and phrases.english_note and kb_language == "en":
        intro = f"{intro} {phrases.english_note}"
    parts = [greeting(customer_name, language), intro]
    if questions and len(questions) > 1:  # several questions: one answer each
        direct = direct_answers(sections, questions)
    else:
        direct = [u for section in sections for u in direct_answer(section, terms or [])]
    if direct:
        parts.append("\n".join(f"- {plain(u)}" for u in direct) if len(direct) > 1
                     else plain(direct[0]))
    label = SOURCE_LABEL.get(kb_language if language != kb_language else language,
                             SOURCE_LABEL["en"])
    for section in sections:
        title = section.title if not section.context else f"{section.title} ({section.context})"
        parts.append(f"{label}, \"{title}\":\n\n{plain(condense(section.body))}")
    parts.append(phrases.outro)
    return "\n\n".join(parts) + "\n"


def strip_signoff(markdown: str) -> str:
    """Cut a trailing sign-off ("Best regards,\\nAnna") from model output; keep the rest."""
    lines = markdown.rstrip().splitlines()
    tail_start = max(0, len(lines) - 5)
    for i in range(tail_start, len(lines)):
        if _SIGNOFF.search(fold(lines[i])):
            return "\n".join(lines[:i]).rstrip() + "\n"
    return markdown.rstrip() + "\n"
