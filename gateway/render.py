"""Turn reply content (Markdown, HTML or text) into a signed, CSS-inlined HTML body plus text."""

from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2
import lxml.html
import nh3
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from markdown_it import MarkdownIt
from markupsafe import Markup

from gateway.config import Signature

TEMPLATES = Path(__file__).parent / "templates"
SIGNATURE_CLASS = "opencx-signature"
BODY_CLASS = "opencx-body"
TEXT_SIG_DELIMITER = "-- "  # RFC 3676 §4.3 signature separator line
_DELIM_TOKEN = "OPENCXSIGDELIMITER7F3A"

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "tt", "u", "ul",
}  # fmt: skip
CLEAN_CONTENT_TAGS = {
    "script", "style", "title", "head", "noscript", "template", "iframe", "object", "embed",
    "svg", "math", "textarea", "select", "button",
}  # fmt: skip
_CELL = {"align", "valign", "width", "height", "colspan", "rowspan", "bgcolor"}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "style", "dir", "title", "lang"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "align", "border"},
    "table": {"width", "align", "border", "cellpadding", "cellspacing", "bgcolor", "role"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"align", "valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "font": {"color", "face", "size"},
    "p": {"align"},
    "div": {"align"},
    "hr": {"width", "size", "align"},
    "blockquote": {"cite", "type"},
}
STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "line-height", "letter-spacing", "text-align", "text-decoration",
    "text-indent", "text-transform", "white-space", "word-break", "vertical-align",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-radius", "border-collapse", "border-spacing",
    "width", "max-width", "min-width", "height", "max-height", "min-height",
    "display", "list-style-type", "direction", "table-layout",
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_SIG_XPATH = (
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {SIGNATURE_CLASS} ')]"
    "[not(ancestor::blockquote)]"
)
_BODY_XPATH = f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {BODY_CLASS} ')]"
_INSCRIPTIS = ParserConfig(css=CSS_PROFILES["strict"], display_links=True)


@dataclass(frozen=True)
class RenderedBody:
    """The two alternatives of a reply: inlined HTML document and plain text."""

    html: str
    text: str


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    return env.get_template("email.html")


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "email.css").read_text(encoding="utf-8")


def render_markdown(markdown: str) -> str:
    """CommonMark (+ tables, strikethrough) to HTML; raw HTML in the input is escaped."""
    return _markdown().render(markdown)


def sanitize_html(html: str) -> str:
    """Keep only email-safe tags/attributes/URL schemes; drop scripts, styles, handlers."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def text_to_html(text: str) -> str:
    """Escape plain text into paragraphs (blank line) and line breaks."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n".join(
        "<p>" + "<br>\n".join(htmlmod.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


def html_to_text(html: str) -> str:
    """Readable text of an HTML fragment; a signature element becomes a '-- ' block."""
    root = _fragment(html)
    for marker in root.xpath(_SIG_XPATH):
        token = lxml.html.Element("p")
        token.text = _DELIM_TOKEN
        marker.insert(0, token)
    lines: list[str] = []
    for line in get_text(_serialize_children(root), _INSCRIPTIS).split("\n"):
        if line.strip() == _DELIM_TOKEN:
            lines.append(TEXT_SIG_DELIMITER)
        elif line.strip() or not lines or lines[-1] != TEXT_SIG_DELIMITER:
            lines.append(line.rstrip())
    return _tidy_text("\n".join(lines))


def _tidy_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n"


def _fragment(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html or "", create_parent="div")


def _serialize_children(element: lxml.html.HtmlElement) -> str:
    head = htmlmod.escape(element.text or "", quote=False)
    return head + "".join(lxml.html.tostring(c, encoding="unicode") for c in element)


def _split_text_signature(text: str) -> tuple[str, str | None]:
    """Split at the last RFC 3676 '-- ' line: (body, signature) or (text, None)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == TEXT_SIG_DELIMITER:
            return "\n".join(lines[:i]), "\n".join(lines[i + 1 :]).strip("\n")
    return text, None


def _signature_div(inner_html: str) -> str:
    return f'<div class="{SIGNATURE_CLASS}">\n{inner_html}\n</div>'


@dataclass(frozen=True)
class _Content:
    """Sanitised HTML fragment, optional text alternative, and whether it is signed already."""

    fragment: str
    text: str | None
    signed: bool


def _from_markup(html: str, text: str | None) -> _Content:
    """Sanitise; unwrap an earlier render's body wrapper; detect an unquoted signature."""
    root = _fragment(sanitize_html(html))
    bodies = root.xpath(_BODY_XPATH)
    if bodies:
        body = bodies[0]
        sigs = [s for s in root.xpath(_SIG_XPATH) if body not in s.iterancestors()]
        fragment = _serialize_children(body) + "".join(
            lxml.html.tostring(s, encoding="unicode", with_tail=False) for s in sigs
        )
        root = _fragment(fragment)
    signed = bool(root.xpath(_SIG_XPATH))
    return _Content(_serialize_children(root).strip(), text, signed)


def _from_plain(source: str, *, markdown: bool, text: str | None) -> _Content:
    """Markdown or text; a trailing '-- ' block becomes the signature element."""
    body, sig = _split_text_signature(source)
    fragment = render_markdown(body) if markdown else text_to_html(body)
    if sig is not None:
        fragment += _signature_div(text_to_html(sig))
    return _Content(sanitize_html(fragment), text if text is not None else source, sig is not None)


def _content(markdown: str | None, html: str | None, text: str | None) -> _Content:
    if markdown is not None and html is not None:
        raise ValueError("give markdown or html, not both")
    if html is not None:
        return _from_markup(html, text)
    if markdown is not None:
        return _from_plain(markdown, markdown=True, text=text)
    if text is not None:
        return _from_plain(text, markdown=False, text=text)
    raise ValueError("give markdown, html or text")


def _signature_parts(signature: Signature) -> tuple[str, str] | None:
    html = sanitize_html(signature.html).strip() if signature.html.strip() else ""
    if not html and signature.text.strip():
        html = text_to_html(signature.text)
    if not html:
        return None
    text = signature.text.strip("\n") if signature.text.strip() else html_to_text(html).strip()
    return html, text


@lru_cache(maxsize=1)
def _head_css() -> str:
    """Rules an inliner cannot apply (@media, :hover): kept in a <style> in the head.

    email-head.css holds them apart from email.css because css-inline drops every
    <style> it reads; the file carries no comment since it is copied into each reply.
    """
    return (TEMPLATES / "email-head.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # No remote or local stylesheet is ever loaded: <link> tags are dropped unread.
    return css_inline.CSSInliner(
        load_remote_stylesheets=False, keep_link_tags=False, keep_style_tags=False
    )


def inline_css(document: str) -> str:
    """css-inline without network; the head-only rules then go back in as one <style>."""
    inlined = _inliner().inline(document)
    head = f"<style>\n{_head_css()}</style>\n</head>"
    return inlined.replace("</head>", head, 1)


def compose_body(
    *,
    markdown: str | None = None,
    html: str | None = None,
    text: str | None = None,
    signature: Signature | None,
) -> RenderedBody:
    """Content -> sanitised fragment -> template -> inlined CSS; plus text; signed exactly once.

    Pure; about a millisecond for a typical reply (docs/replies.md).
    """
    content = _content(markdown, html, text)
    parts = None if content.signed or signature is None else _signature_parts(signature)
    body_text = content.text if content.text is not None else html_to_text(content.fragment)
    body_text = _tidy_text(body_text)
    document = _template().render(
        css=Markup(_css()),
        body=Markup(content.fragment),
        signature=Markup(parts[0]) if parts else None,
    )
    if parts:
        lead = f"{body_text.rstrip()}\n\n" if body_text.strip() else ""
        body_text = f"{lead}{TEXT_SIG_DELIMITER}\n{parts[1]}\n"
    return RenderedBody(html=inline_css(document), text=body_text)
