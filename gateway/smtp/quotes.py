"""Strip quoted history and signatures from a reply, leaving only the customer's new text."""

from __future__ import annotations

import re

from lxml import etree

from gateway.smtp.textcodec import html_to_text, html_tree, tidy_text, tree_to_text

_STARTS = r"On|Am|Le|El|Il|Op|Em|W dniu|Den|På|Dne|Kun|В|Pada|Vào"
_VERBS = (
    r"wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|pisze|napisał\(a\)|napisał|"
    r"skrev|napsal\(a\)|napsal|kirjoitti|написал\(а\)|написал|menulis|đã viết"
)
# A date with a year and a time, as Gmail writes it in every language ("tir. 18. mar. 2025 kl.
# 09:12", "ti 18. maalisk. 2025 klo 10.05", "вт, 18 мар. 2025 г. в 10:05").
_DATED = r"\b(?:19|20)\d\d\b.{0,80}?\b\d{1,2}[:.]\d\d\b"
_ATTRIBUTION = re.compile(
    rf"^\s*(?:(?:{_STARTS})\s.{{0,400}}?|.{{0,200}}@[^\s@]+\s*>?\s*|.{{0,60}}?{_DATED}.{{0,200}}?)"
    rf"(?:{_VERBS})\b[^:]{{0,150}}:\s*$",
    re.IGNORECASE,
)
# Gmail in Russian (and some other languages) has no verb: "DATE, NAME <address>:".
_VERBLESS_ATTRIBUTION = re.compile(
    rf"^\s*.{{0,60}}?{_DATED}.{{0,200}}?<[^<>\s@]+@[^<>\s@]+>\s*:\s*$", re.IGNORECASE
)
_STARTS_RE = re.compile(rf"^\s*(?:{_STARTS})\s|^.{{0,60}}?{_DATED}", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}|_{2,}|={2,})?\s*(?:original message|ursprüngliche nachricht|original-nachricht|"
    r"message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|"
    r"mensagem original|originalmeddelande|alkuperäinen viesti|wiadomość oryginalna|"
    r"oprindelig besked|oprindelig meddelelse|opprinnelig melding|původní zpráva|"
    r"исходное сообщение|пересылаемое сообщение|"
    r"forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada)\s*(?:-{2,}|_{2,}|={2,})\s*$"
    r"|^\s*begin forwarded message:\s*$",
    re.IGNORECASE,
)
_UNDERLINE = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(
    r"^\s*\*?(?:from|von|de|da|van|från|fra|od|от|lähettäjä|feladó)\s*:\*?\s*\S", re.IGNORECASE
)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|enviado|"
    r"fecha|para|asunto|inviato|data|a|oggetto|verzonden|aan|onderwerp|skickat|till|ämne|"
    r"sendt|til|emne|dato|wysłano|do|temat|отправлено|дата|кому|тема|lähetetty|päivämäärä|"
    r"vastaanottaja|aihe)"
    r"\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|sent from my \w+.*|sent from (?:outlook|mail|yahoo mail|my mobile).*|"
    r"get outlook for (?:ios|android).*|von meinem \w+ gesendet.*|gesendet von meinem \w+.*|"
    r"envoyé de mon \w+.*|enviado desde mi \w+.*|enviado do meu \w+.*|inviato da.{0,30}iphone.*|"
    r"verzonden (?:vanaf|met) mijn \w+.*|skickat från min \w+.*|sendt fra min \w+.*|"
    r"envoyé depuis mon \w+.*|inviato dal mio \w+.*|lähetetty \w+sta\b.*|"
    r"отправлено с \w+.*|отправлено из .{0,30}|wysłane z (?:mojego )?\w+.*|"
    # Outlook's mobile line in any language: "Envoyé à partir de Outlook pour iOS",
    # "Von Outlook für Android gesendet", "Télécharger Outlook pour iOS<https://aka.ms/...>"
    r".{0,40}\boutlook\b.{0,20}\b(?:ios|android)\b.{0,60})$",
    re.IGNORECASE,
)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_len(lines: list[str], i: int) -> int:
    """How many lines (1-3) an "On ... wrote:" attribution starting at line i spans; 0 if none."""
    if not lines[i].strip():
        return 0
    for span in (1, 2, 3):
        window = lines[i : i + span]
        if len(window) < span or _is_quoted(window[-1]) or not window[-1].strip():
            return 0
        if span > 1 and not _STARTS_RE.match(lines[i]):
            return 0
        if ":" not in window[-1]:
            continue  # an attribution always ends with a colon; skip the regex
        joined = " ".join(x.strip() for x in lines[i : i + span])
        if _ATTRIBUTION.match(joined) or _VERBLESS_ATTRIBUTION.match(joined):
            return span
    return 0


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: ... Sent: ... To: ... Subject: ..." block starts at line i."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [x for x in lines[i + 1 : i + 7] if x.strip()]
    return sum(1 for x in following[:4] if _HEADER_OTHER.match(x)) >= 2


def _next_content(lines: list[str], start: int) -> str | None:
    return next((x for x in lines[start:] if x.strip()), None)


def _strip_history(lines: list[str]) -> tuple[list[str], bool]:
    """Cut at the first history marker; drop attributions that introduce '>' quotes."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if _SEPARATOR.match(lines[i]) or _is_header_block(lines, i):
            return kept, True
        if _UNDERLINE.match(lines[i]):
            after = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if after is not None and _is_header_block(lines, after):
                return kept, True
        span = _attribution_len(lines, i)
        if span:
            following = _next_content(lines, i + span)
            if following is not None and not _is_quoted(following):
                return kept, True
            i += span
            continue
        kept.append(lines[i])
        i += 1
    return kept, len(kept) != len(lines)


def _strip_signature(lines: list[str]) -> tuple[list[str], bool]:
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line.strip()) and any(x.strip() for x in lines[:i]):
            return lines[:i], True
    return lines, False


def strip_plain(text: str) -> tuple[str, bool]:
    """(new text, whether anything was recognised and removed) for a plain-text body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines, cut = _strip_history(lines)
    unquoted = [x for x in lines if not _is_quoted(x)]
    unquoted, signed = _strip_signature(unquoted)
    return tidy_text("\n".join(unquoted)), cut or signed or len(unquoted) != len(lines)


def _class(name: str) -> str:
    return f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


_REMOVE_XPATH = " | ".join(
    [
        *(
            _class(c)
            for c in (
                "gmail_quote",
                "gmail_quote_container",
                "gmail_signature",
                "moz-cite-prefix",
                "moz-signature",
                "yahoo_quoted",
                "protonmail_quote",
            )
        ),
        "//*[@data-smartmail='gmail_signature']",
        _class("moz-cite-prefix") + "/following-sibling::*[1][self::blockquote]",
        "//blockquote[translate(@type, 'CITE', 'cite')='cite']",
        "//*[@data-marker='__QUOTED_TEXT__' or @data-marker='__HEADERS__']",
        "//*[@id='Signature']",
    ]
)
_STYLE = "translate(translate(@style, ' ', ''), 'ABCDEF', 'abcdef')"
_TRUNCATE_XPATH = " | ".join(
    [
        "//*[@id='appendonsend' or @id='divRplyFwdMsg' or @id='stopSpelling' or @id='zwchr']",
        "//*[@id='mail-editor-reference-message-container']",
        _class("OutlookMessageHeader"),
        f"//div[contains({_STYLE}, 'border-top:solid#e1e1e1')]",
        f"//div[contains({_STYLE}, 'border-top:solid#b5c4df')]",
    ]
)


def _truncate_from(element: etree._Element) -> None:
    """Remove the element and everything after it in document order."""
    node = element
    parent = node.getparent()
    while parent is not None:
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node.tail = None
        if parent.tag == "body":
            break
        node, parent = parent, parent.getparent()
    holder = element.getparent()
    if holder is not None:
        holder.remove(element)


def strip_html(html: str) -> tuple[str, bool]:
    """(new text, whether a quote/signature container was found) for an HTML body."""
    tree = html_tree(html)
    if tree is None:
        return "", False
    truncate = tree.xpath(_TRUNCATE_XPATH)
    if truncate:
        _truncate_from(truncate[0])
    removable = tree.xpath(_REMOVE_XPATH)
    for element in removable:
        if element.getparent() is not None:
            element.drop_tree()
    text, found = strip_plain(tree_to_text(tree))
    return text, found or bool(truncate) or bool(removable)


def strip_quotes(text: str, html: str | None = None) -> str:
    """The customer's new text; the full text unchanged if stripping would leave nothing."""
    stripped, found = strip_plain(text)
    if html and (not text.strip() or not found):
        html_stripped, html_found = strip_html(html)
        if html_found or not text.strip():
            stripped, found = html_stripped, html_found
    if found and stripped.strip():
        return stripped
    return text if text.strip() or not html else html_to_text(html)
