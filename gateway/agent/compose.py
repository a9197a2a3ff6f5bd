"""Reply text: greeting by name, KB sections condensed into Markdown, and no signature ever.

The renderer (gateway/replies.py) adds the per-domain signature; the agent must not write
one. ``strip_signoff`` removes a sign-off a language model adds anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.lexicons import fold, words
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
        "Thanks for your message. Here is what our help centre says about this:", "",
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
}

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


def compose_reply(
    sections: list[KbSection], customer_name: str, language: str, kb_language: str = "en"
) -> str:
    """The Markdown reply: greeting, intro, each section under its title, outro."""
    phrases = PHRASES.get(language, PHRASES["en"])
    intro = phrases.intro
    if language != kb_language and phrases.english_note and kb_language == "en":
        intro = f"{intro} {phrases.english_note}"
    parts = [greeting(customer_name, language), intro]
    for section in sections:
        parts.append(f"**{section.title}**\n\n{condense(section.body)}")
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
