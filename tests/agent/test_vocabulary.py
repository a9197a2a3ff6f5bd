"""The everyday vocabulary: well formed, never translates English, and helps foreign mail."""

from __future__ import annotations

import importlib

import pytest

from gateway.agent.base import Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.lexicons import EVERYDAY_WORDS, GLOSSARY, fold
from gateway.agent.retrieval import (
    EVERYDAY_UNKNOWN_WEIGHT,
    UNKNOWN_WEIGHT,
    Retriever,
    gloss,
    query_groups,
    question_sentences,
    story_words,
)
from gateway.agent.vocabulary import LANGUAGES, VOCABULARY
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_is_plain_english_values(language: str) -> None:
    words = importlib.import_module(f"gateway.agent.vocabulary.{language}").WORDS
    assert len(words) > 500
    for key, english in words.items():
        assert key == key.lower() and key.strip() == key, key
        assert english.isascii() and 1 <= len(english.split()) <= 3, (key, english)


def test_merged_keys_are_folded_and_an_english_word_is_never_translated() -> None:
    assert all(fold(key) == key for key in VOCABULARY)
    assert VOCABULARY["remove"]  # a Romance verb form that is also English ...
    assert "remove" not in EVERYDAY_WORDS  # ... never turns "remove" into something else
    assert "expire" not in EVERYDAY_WORDS and "camera" not in EVERYDAY_WORDS
    assert not set(EVERYDAY_WORDS) & set(GLOSSARY)  # the hand-made glossary wins


def test_everyday_words_and_their_forms_are_translated() -> None:
    groups = {g[0]: g[1:] for g in query_groups(
        "Mi despertador no se enciende y el aplicativo dice que faltan pieniądze")}
    assert "alarm" in groups["despertador"]
    assert "turn" in groups["enciende"]
    assert groups["aplicativo"] == ("app",)
    assert "money" in groups["pieniadze"]  # folded: ą -> a
    english = {g[0]: g[1:] for g in query_groups("Please remove the date from my invoice")}
    assert english["remove"] == () and english["date"] == ()


def test_a_foreign_everyday_word_of_the_story_weighs_less_than_an_unknown_term(
        sample_index: KnowledgeIndex) -> None:
    retriever = Retriever(sample_index)
    rare = retriever.weight(("locked",))  # df("locked") == 1
    story = frozenset({"geburtstag"})  # said outside the question sentences
    assert retriever.weight(("geburtstag", "birthday"), story) == pytest.approx(
        EVERYDAY_UNKNOWN_WEIGHT * rare)
    assert retriever.weight(("geburtstag", "birthday")) == pytest.approx(  # in the question
        UNKNOWN_WEIGHT * rare)
    assert retriever.weight(("birthday",)) == pytest.approx(UNKNOWN_WEIGHT * rare)  # English
    assert retriever.weight(("quokka",)) == pytest.approx(UNKNOWN_WEIGHT * rare)


def test_a_foreign_function_word_weighs_nothing_in_a_mail_that_asks(
        sample_index: KnowledgeIndex) -> None:
    retriever = Retriever(sample_index)
    rare = retriever.weight(("locked",))
    for word in ("tenemos", "takie", "sommes", "ogni", "kunnen"):
        assert retriever.weight((word,)) == 0.0, word
        assert retriever.weight((word,), asks=False) == pytest.approx(UNKNOWN_WEIGHT * rare)


@pytest.mark.parametrize("text", [
    "Mamy takie pytanie, bo nie wiemy jak to zrobić: gdzie można pobrać faktury za każdy "
    "miesiąc?",
    "Nous avons une question car nous ne trouvons rien : où peut-on télécharger les factures"
    " de chaque mois ?",
])
async def test_a_question_wrapped_in_function_words_is_answered(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str) -> None:
    decision = await builtin.decide(transcript(text))
    assert isinstance(decision.action, Reply), decision.action
    assert decision.action.sources[0] == "billing#download-an-invoice-or-receipt"


async def test_a_family_story_around_a_covered_question_is_answered(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    decision = await builtin.decide(transcript(
        "Mia figlia ha comprato un abbonamento per sbaglio ieri sera. "
        "Posso avere un rimborso?"))
    assert isinstance(decision.action, Reply), decision.action
    assert decision.action.sources[0].startswith("refunds#")


def test_gloss_is_word_for_word_english_for_the_english_only_models() -> None:
    assert gloss("Qualcuno sta usando le mie credenziali.") == (
        "qualcuno sta use le mie login credentials.")
    assert gloss("Please remove the date") == "please remove the date"  # English stays


@pytest.mark.parametrize("text", [
    "¿Cómo descargo las facturas de nuestra ONG de marzo?",
    "Como baixo as faturas da nossa empresa nos EUA?",
    "Jak pobrać fakturę z marca dla naszej firmy w Europie, Sp. z o.o.?",
    "Can our office in Utrecht and the one in Lyon share one invoice address?",
])
def test_calendar_words_places_and_company_forms_are_not_unknown_names(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str) -> None:
    assert builtin.unknown_focus(transcript(text)) is None


def test_story_words_are_those_said_outside_the_questions() -> None:
    story = story_words("Meine Frau hat Geburtstag. Wie lange dauert die Lieferung?")
    assert "geburtstag" in story and "lieferung" not in story
    assert story_words("Meine Frau hat Geburtstag.") == frozenset()  # no question: all matter


@pytest.mark.parametrize(("text", "country"), [
    ("Do you ship the Acme Box to Australia? We have an office in Melbourne.", "Australia"),
    ("¿Hacen envíos de la Acme Box a México?", "Mexico"),
    ("日本へのAcme Boxの配送は何日くらいかかりますか？", "Japan"),
    ("Liefert ihr die Acme Box auch nach Norwegen?", "Norway"),
    ("日本在住です。日本への発送は可能でしょうか。", "Japan"),
])
def test_shipping_to_a_country_the_kb_never_names_is_missing_knowledge(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str, country: str) -> None:
    assert builtin.unknown_focus(transcript(text)) == (
        f"the question asks about shipping to {country}, which the KB never names")


@pytest.mark.parametrize("text", [
    "Do you ship the Acme Box to Switzerland?",  # the sample KB names it
    "How long does shipping to Austria take?",  # EU: covered by "EU" without a name
    "How long is the warranty in Australia?",  # not a shipping question
])
def test_shipping_to_a_named_or_eu_country_is_not_unlisted(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str) -> None:
    focus = builtin.unknown_focus(transcript(text))
    assert focus is None or "shipping to" not in focus, focus


def test_a_polite_japanese_question_without_a_question_mark_is_a_question() -> None:
    text = "日本在住です。日本への発送は可能でしょうか。可能であれば日数を教えてください。"
    assert question_sentences(text) == ["日本への発送は可能でしょうか。"]
    assert question_sentences("Is it ok? I think so. Fine.") == ["Is it ok?"]


@pytest.mark.parametrize("text", [
    "Quanto tempo ci vuole per la spedizione?", "¿Cuánto tarda el envío?",
    "Combien de temps pour la livraison ?",
])
def test_how_long_is_not_a_price(text: str) -> None:
    terms = {t for g in query_groups(text) for t in g}
    assert "price" not in terms and terms & {"shipping", "delivery"}
