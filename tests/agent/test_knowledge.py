"""The FTS5 knowledge index (gateway.storage.knowledge) and retrieval on top of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.agent.retrieval import SATURATION, Retriever, query_groups, query_terms
from gateway.errors import ConfigError
from gateway.storage.knowledge import KnowledgeIndex, load_sections, split_markdown

DOC = """Intro text before any heading.

# Billing

Billing overview.

## Invoices

Download invoices as PDF.

```
# not a heading inside a fence
```

## Invoices

A second section with the same title.

### Empty

## Refunds ##

Refunds take 5 days.
"""


def test_split_markdown_at_headings_ignoring_fences() -> None:
    sections = split_markdown(DOC, "billing")
    assert [s.id for s in sections] == [
        "billing#billing", "billing#billing-2", "billing#invoices", "billing#invoices-2",
        "billing#refunds",
    ]
    intro, billing, invoices, _, refunds = sections
    assert intro.title == "Billing" and intro.body == "Intro text before any heading."
    assert billing.trail == "Billing" and billing.context == ""
    assert invoices.trail == "Billing › Invoices" and invoices.context == "Billing"
    assert "# not a heading inside a fence" in invoices.body
    assert refunds.title == "Refunds" and refunds.trail == "Billing › Refunds"


def test_load_sections_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        load_sections(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no Markdown sections"):
        load_sections(tmp_path)


def _index(tmp_path: Path, files: dict[str, str]) -> KnowledgeIndex:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return KnowledgeIndex.from_folder(tmp_path, path=tmp_path / "kb.db")


def test_bm25_ranks_heading_matches_and_term_frequency(tmp_path: Path) -> None:
    index = _index(tmp_path, {
        "a.md": "# Password\n\nHow to reset it.\n\n# Billing\n\nInvoices, a password "
                "mention and a reset.\n\n# Shipping\n\nParcels.\n",
        "b.md": "# Other\n\nPassword password password reset reset, and more words.\n",
    })
    try:
        hits = index.search(["password", "reset"])
        ranked = [h.section.id for h in hits]
        assert ranked.index("a#password") < ranked.index("a#billing")  # heading weight 3
        assert ranked.index("b#other") < ranked.index("a#billing")  # term frequency
        assert set(ranked) == {"a#password", "a#billing", "b#other"}
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert all(h.matched == frozenset({"password", "reset"}) for h in hits)
        assert index.search(["parcels", "password"], limit=1)[0].matched == {"parcels"}
        assert index.document_frequency("passwords") == 3  # porter stemming
        assert index.search([]) == [] and index.search(["zzz"]) == []
        assert index.idf("parcels") > index.idf("password")
    finally:
        index.close()


def test_file_database_is_rebuilt(tmp_path: Path) -> None:
    _index(tmp_path, {"a.md": "# A\n\nalpha\n"}).close()
    (tmp_path / "a.md").write_text("# B\n\nbeta\n")
    index = KnowledgeIndex.from_folder(tmp_path, path=tmp_path / "kb.db")
    try:
        assert index.search(["alpha"]) == []
        assert [h.section.id for h in index.search(["beta"])] == ["a#b"]
    finally:
        index.close()


async def test_async_search_runs_in_a_thread(sample_index: KnowledgeIndex) -> None:
    hits = await sample_index.asearch(["invoice"], limit=3)
    assert len(hits) == 3 and all("invoice" in h.matched for h in hits)


def test_query_terms() -> None:
    assert query_terms("Hi, how do I reset my password? Thanks, Tom", exclude=["Tom"]) == [
        "reset", "password"]
    assert query_groups("Ich habe mein Passwort vergessen") == [
        ("passwort", "password"), ("vergessen", "forgot")]
    assert query_groups("J'ai oublié mon mot de passe") == [
        ("oublie", "forgot"), ("mot de passe", "password")]
    assert query_groups("Wo finde ich die Rechnungsadresse?") == [
        ("rechnungsadresse", "billing", "address")]  # the everyday glossary, exactly
    assert query_groups("Wo ist die Rechnungsemailadresse?") == [
        ("rechnungsemailadresse", "invoice", "address")]  # a compound of glossary words
    assert query_groups("dove scaricare le fatture") == [
        ("scaricare", "download"), ("fatture", "invoices")]  # plural, written out
    assert query_terms("Order 123456789 from 12.03.2024, error 429") == ["order", "2024",
                                                                          "error", "429"]


def test_confidence_formula(sample_index: KnowledgeIndex) -> None:
    retriever = Retriever(sample_index)
    found = retriever.retrieve_sync("How do I reset my password?")
    best = found.hits[0]
    assert best.hit.section.id == "account-access#reset-your-password"
    assert found.groups == (("reset",), ("password",))  # one word each, no translation
    idf = sample_index.idf
    coverage = (idf("reset") + idf("password")) / sum(retriever.weight(g) for g in found.groups)
    assert coverage == pytest.approx(1.0)
    idf1 = retriever.weight(("locked",))  # "locked" is in one section only
    expected = best.hit.score / (best.hit.score + SATURATION * idf1) * coverage
    assert found.confidence == pytest.approx(expected, abs=1e-4)
    assert found.confidence > 0.6


@pytest.mark.parametrize("text", [
    "Quanto costa la pizza margherita a Napoli stasera?",
    "Wie wird das Wetter morgen in Hamburg, regnet es?",
    "¿Dónde puedo comprar entradas para el concierto del sábado?",
    "lorem ipsum dolor sit amet consectetur adipiscing elit",
    "The API of my coffee machine is broken, can your plan fix my espresso grinder?",
])
def test_off_topic_and_foreign_garbage_scores_low(sample_index: KnowledgeIndex,
                                                   text: str) -> None:
    assert Retriever(sample_index).retrieve_sync(text).confidence < 0.35


def test_translated_groups_cover_with_their_best_term(sample_index: KnowledgeIndex) -> None:
    retriever = Retriever(sample_index)
    found = retriever.retrieve_sync("Wie kann ich mein Passwort zurücksetzen, Quokka?")
    assert found.groups == (("passwort", "password"), ("zurucksetzen", "reset"), ("quokka",))
    best = found.hits[0].hit
    assert best.section.id == "account-access#reset-your-password"
    idf = sample_index.idf
    assert retriever.weight(("passwort", "password")) == idf("password")  # known term only
    unknown = retriever.weight(("quokka",))
    assert unknown == pytest.approx(0.5 * retriever.weight(("locked",)))  # df("locked") == 1
    coverage = (idf("password") + idf("reset")) / (idf("password") + idf("reset") + unknown)
    strength = best.score / (best.score + SATURATION * retriever.weight(("locked",)))
    assert found.confidence == pytest.approx(strength * coverage, abs=1e-4)


def test_cognates_meet_under_a_spelling_normalised_prefix() -> None:
    from gateway.agent.retrieval import cognate_key
    assert cognate_key("comentarios") == cognate_key("comments")
    assert cognate_key("repozytorium") == cognate_key("repository")
    assert cognate_key("aplicacao") == cognate_key("application")
    assert cognate_key("facture") != cognate_key("factory")
