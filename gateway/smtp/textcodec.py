"""Text decoding for inbound mail: charsets, RFC 2047 words, format=flowed, HTML to text."""

from __future__ import annotations

import base64
import binascii
import codecs
import html as htmllib
import quopri
import re

from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml import etree
from lxml.html import document_fromstring

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_CHARSET_ALIASES = {
    # WHATWG: these labels mean windows-1252 in practice
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    # Windows supersets that senders mislabel
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "windows-874": "cp874",
}
_REFUSED_CODECS = {"unicode_escape", "raw_unicode_escape", "punycode", "idna", "mbcs", "oem"}


def clean_text(text: str) -> str:
    """Drop NUL and other C0 controls (keeps tab/newline); replace lone surrogates."""
    return _LONE_SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    if not re.fullmatch(r"[a-z0-9_.:-]{1,40}", name):
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return None if info.name.replace("-", "_") in _REFUSED_CODECS else info.name


def decode_text(data: bytes, charset: str | None) -> str:
    """Declared charset, then UTF-8, then windows-1252 with replacement; never raises."""
    for name in (_codec(charset), "utf-8"):
        if name is None:
            continue
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return data.decode("cp1252", "replace")


def unsurrogate(value: str) -> str:
    """Turn 8-bit header bytes (surrogate-escaped by the parser) into real characters."""
    if not _ESCAPED_BYTE.search(value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return clean_text(value)
    return decode_text(data, None)


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")


# The payload may hold raw spaces: invalid (RFC 2047 §5), but common enough in real mail.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")


def _word_bytes(kind: str, payload: str) -> bytes | None:
    if kind in "bB":
        payload = "".join(payload.split())
        try:
            return base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
    return quopri.decodestring(payload.replace("_", " ").encode("utf-8", "replace"))


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded-words; adjacent words of one charset are joined as bytes first."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        data = _word_bytes(match.group(2), match.group(3))
        charset = match.group(1).split("*", 1)[0]
        joinable = pending_charset is not None and (not gap or gap.isspace())
        if not joinable or data is None or charset.lower() != pending_charset:
            if pending_charset is not None:
                out.append(decode_text(bytes(pending), pending_charset))
                pending, pending_charset = bytearray(), None
            if not joinable or data is None:
                out.append(gap)
        if data is None:
            out.append(match.group(0))
        else:
            pending += data
            pending_charset = charset.lower()
        pos = match.end()
    if pending_charset is not None:
        out.append(decode_text(bytes(pending), pending_charset))
    out.append(value[pos:])
    return "".join(out)


def unflow(text: str, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed soft line breaks, keeping quote depth."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if pending is not None and pending[0] == depth:
            content = pending[1] + content
        elif pending is not None:
            out.append(_quoted(*pending))
        pending = None
        if content.endswith(" ") and content != "-- ":
            pending = (depth, content[:-1] if delsp else content)
        else:
            out.append(_quoted(depth, content))
    if pending is not None:
        out.append(_quoted(*pending))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    if not depth:
        return content
    return ">" * depth + (" " + content if content else "")


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
MAX_HTML_TEXT = 2**20  # HTML beyond this is not converted to text (inscriptis ~1.5 s/MiB)


def tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def html_tree(html: str) -> etree._Element | None:
    """lxml document for HTML (None when there is nothing to parse)."""
    cleaned = _XML_DECL.sub("", clean_text(html[:MAX_HTML_TEXT]))
    if not cleaned.strip():
        return None
    try:
        return document_fromstring(cleaned)
    except (ValueError, etree.LxmlError, RecursionError):
        return None


def tree_to_text(tree: etree._Element) -> str:
    try:
        # "strict": no indentation for nested <div>s (the "relaxed" default indents them)
        config = ParserConfig(css=CSS_PROFILES["strict"])
        return tidy_text(Inscriptis(tree, config).get_text())
    except (ValueError, etree.LxmlError, RecursionError):
        return tidy_text(htmllib.unescape(_TAG.sub(" ", etree.tostring(tree, encoding=str))))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (inscriptis); tag-stripping fallback if lxml refuses it."""
    tree = html_tree(html)
    if tree is not None:
        return tree_to_text(tree)
    return tidy_text(htmllib.unescape(_TAG.sub(" ", clean_text(html[:MAX_HTML_TEXT]))))
