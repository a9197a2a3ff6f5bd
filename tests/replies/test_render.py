"""compose_body: Markdown/HTML/text -> sanitised, CSS-inlined HTML + text, signed exactly once."""

from __future__ import annotations

import http.server
import re
import threading
import urllib.request
from collections.abc import Iterator

import lxml.html
import pytest

from gateway.config import Signature
from gateway.render import (
    SIGNATURE_CLASS,
    compose_body,
    html_to_text,
    inline_css,
    render_markdown,
    sanitize_html,
)

SIG = Signature(
    domain="acme.test",
    text="ACME Support\nhttps://acme.test/help",
    html='<p><b>ACME</b> Support<br><a href="https://acme.test/help">Help centre</a></p>',
)
MARKDOWN = """Hello **Jane**,

Here is what to do:

- open [your account](https://acme.test/account)
- click `Reset`

```
code block
```
"""


def doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def style_block(html: str) -> str:
    return "".join(doc(html).xpath("//style/text()"))


def signatures_in(html: str) -> int:
    return len(doc(html).find_class(SIGNATURE_CLASS))


def test_markdown_elements_get_inline_styles() -> None:
    out = compose_body(markdown=MARKDOWN, signature=None)
    root = doc(out.html)
    for tag in ("p", "ul", "li", "a", "code", "pre"):
        elements = root.xpath(f"//div[@class='opencx-body']//{tag}")
        assert elements, tag
        assert all(e.get("style") for e in elements), tag
    link = root.xpath("//a")[0]
    assert link.get("href") == "https://acme.test/account" and "color" in link.get("style")
    assert root.xpath("//strong")[0].text == "Jane"


def test_only_media_and_pseudo_rules_stay_in_style() -> None:
    css = style_block(compose_body(markdown=MARKDOWN, signature=None).html)
    assert "@media" in css and "max-width: 600px" in css
    outside_media = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", css)
    selectors = re.findall(r"([^{}]+)\{", outside_media)
    assert all(":" in s for s in selectors), selectors  # e.g. a:hover only


def test_raw_html_in_markdown_is_text() -> None:
    out = compose_body(markdown="Hi <script>alert(1)</script> <b>x</b>", signature=None)
    assert "<script" not in out.html and "<b>x" not in out.html
    assert "&lt;b&gt;x" in out.html


@pytest.mark.parametrize(
    ("dirty", "gone"),
    [
        ("<p>a</p><script>alert(1)</script>", "alert(1)"),
        ('<p onclick="steal()">a</p>', "onclick"),
        ('<a href="javascript:alert(1)">a</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">a</a>', "alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ("<style>p{color:red}</style><p>a</p>", "color:red"),
        ('<iframe src="https://evil.test"></iframe><p>a</p>', "evil.test"),
        ('<link rel="stylesheet" href="https://evil.test/x.css"><p>a</p>', "evil.test"),
        ('<p style="position:fixed;color:red">a</p>', "position"),
        ('<p style="background:url(https://evil.test/t.png)">a</p>', "evil.test"),
        ('<img src="data:image/png;base64,AAAA">', "data:"),
        ('<form action="https://evil.test"><input name="q"></form>', "<form"),
    ],
)
def test_sanitizer_drops_dangerous_markup(dirty: str, gone: str) -> None:
    assert gone.lower() not in sanitize_html(dirty).lower()
    out = compose_body(html=dirty, signature=None)
    body = lxml.html.tostring(doc(out.html).find_class("opencx-body")[0], encoding="unicode")
    assert gone.lower() not in body.lower()


def test_sanitizer_keeps_email_formatting() -> None:
    rep = (
        '<p style="color:#333">Hi <strong>Jane</strong>, see <a href="https://a.test/x">here</a>'
        '</p><table><tr><td colspan="2">cell</td></tr></table><img src="https://a.test/l.png"'
        ' alt="logo" width="80">'
    )
    clean = sanitize_html(rep)
    for kept in ('style="color:#333"', "<strong>", 'href="https://a.test/x"', 'colspan="2"',
                 'src="https://a.test/l.png"', 'width="80"'):  # fmt: skip
        assert kept in clean


def test_signature_appended_once_to_both_parts() -> None:
    out = compose_body(markdown=MARKDOWN, signature=SIG)
    assert signatures_in(out.html) == 1
    sig = doc(out.html).find_class(SIGNATURE_CLASS)[0]
    assert sig.get("style") and "Help centre" in sig.text_content()
    assert out.text.count("ACME Support") == 1
    assert out.text.startswith(MARKDOWN.rstrip("\n").split("\n")[0])
    assert "\n-- \nACME Support\nhttps://acme.test/help\n" in out.text


def test_rerendering_output_does_not_double_the_signature() -> None:
    first = compose_body(markdown=MARKDOWN, signature=SIG)
    again = compose_body(html=first.html, signature=SIG)
    third = compose_body(html=again.html, signature=SIG)
    for out in (again, third):
        assert signatures_in(out.html) == 1
        assert out.html.count("opencx-body") == 1  # the earlier wrapper is unwrapped
        assert out.text.count("ACME Support") == 1 and out.text.count("\n-- \n") == 1
    from_text = compose_body(text=first.text, signature=SIG)
    assert signatures_in(from_text.html) == 1 and from_text.text.count("ACME Support") == 1


def test_content_already_carrying_the_marker_is_not_signed_again() -> None:
    agent_html = f'<p>Thanks!</p><div class="{SIGNATURE_CLASS}"><p>Bob, Tier 2</p></div>'
    out = compose_body(html=agent_html, signature=SIG)
    assert signatures_in(out.html) == 1 and "ACME" not in out.html
    assert "Bob, Tier 2" in out.text and "ACME" not in out.text
    md = compose_body(markdown="Thanks!\n\n-- \nBob, Tier 2\n", signature=SIG)
    assert signatures_in(md.html) == 1 and "ACME" not in md.html + md.text
    assert "Bob, Tier 2" in doc(md.html).find_class(SIGNATURE_CLASS)[0].text_content()


def test_quoted_signature_in_history_does_not_count() -> None:
    quoted = f'<p>Reply</p><blockquote><div class="{SIGNATURE_CLASS}">Old</div></blockquote>'
    out = compose_body(html=quoted, signature=SIG)
    assert "ACME" in out.html and out.text.count("ACME Support") == 1


def test_text_alternative_from_html_via_inscriptis() -> None:
    html = '<p>Hi <a href="https://a.test/x">link</a></p><ul><li>one</li><li>two</li></ul>'
    out = compose_body(html=html, signature=SIG)
    assert "[link](https://a.test/x)" in out.text
    assert "* one" in out.text and "* two" in out.text
    assert out.text.rstrip().endswith("ACME Support\nhttps://acme.test/help")


def test_given_text_alternative_is_used_as_is() -> None:
    out = compose_body(html="<p>Hi <b>there</b></p>", text="Hi there (plain)", signature=None)
    assert out.text == "Hi there (plain)\n"


def test_text_only_input_is_escaped_into_paragraphs() -> None:
    out = compose_body(text="Line <1>\nline 2\n\nPara & 2", signature=None)
    paragraphs = doc(out.html).xpath("//div[@class='opencx-body']/p")
    assert len(paragraphs) == 2 and paragraphs[0].xpath("br")
    assert "Line <1>" in paragraphs[0].text_content() and "&lt;1&gt;" in out.html


def test_text_only_and_html_only_signatures() -> None:
    text_sig = Signature(domain="*", text="Team <A>\nCall us")
    out = compose_body(markdown="Hi", signature=text_sig)
    assert "Team &lt;A&gt;" in out.html and out.text.endswith("-- \nTeam <A>\nCall us\n")
    html_sig = Signature(domain="*", html='<p>HTML <a href="https://s.test">only</a></p>')
    out = compose_body(markdown="Hi", signature=html_sig)
    assert "-- \nHTML [only](https://s.test)" in out.text


def test_signature_html_is_sanitised_too() -> None:
    bad = Signature(domain="*", html='<p onclick="x()">Sig</p><script>alert(1)</script>')
    out = compose_body(markdown="Hi", signature=bad)
    assert "onclick" not in out.html and "alert(1)" not in out.html and "Sig" in out.html


def test_empty_signature_adds_nothing() -> None:
    out = compose_body(markdown="Hi", signature=Signature(domain="*"))
    assert signatures_in(out.html) == 0 and "-- " not in out.text


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="not both"):
        compose_body(markdown="a", html="<p>a</p>", signature=None)
    with pytest.raises(ValueError, match="give markdown"):
        compose_body(signature=None)


def test_render_markdown_and_html_to_text() -> None:
    assert "<li>a</li>" in render_markdown("- a\n- b")
    assert "<table>" in render_markdown("|a|b|\n|-|-|\n|1|2|\n")
    assert html_to_text("<p>x</p><p>y</p>") == "x\n\ny\n"


def test_non_ascii_content_survives() -> None:
    out = compose_body(markdown="Grüße, **Zoë** — 你好", signature=None)
    assert "Grüße" in out.html and "你好" in out.html and out.text.startswith("Grüße")


def test_empty_body_gets_only_the_signature() -> None:
    out = compose_body(html="", signature=SIG)
    assert out.text == "-- \nACME Support\nhttps://acme.test/help\n"
    assert signatures_in(out.html) == 1


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"p { color: rgb(1, 2, 3); }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def css_server() -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    finally:
        server.shutdown()
        server.server_close()


def test_inliner_never_fetches_stylesheets(css_server: tuple[str, list[str]]) -> None:
    base, hits = css_server
    with urllib.request.urlopen(f"{base}/probe.css") as reply:  # the server does answer
        assert b"rgb(1, 2, 3)" in reply.read()
    document = (
        f'<html><head><link rel="stylesheet" href="{base}/link.css">'
        f"<style>@import url({base}/import.css); p {{ margin: 0; }}</style></head>"
        "<body><p>x</p></body></html>"
    )
    out = inline_css(document)
    assert hits == ["/probe.css"]
    assert "rgb(1, 2, 3)" not in out and "<link" not in out
    assert 'style="margin: 0;"' in out
    hits.clear()
    composed = compose_body(html=document, signature=None)
    assert hits == [] and base not in composed.html
