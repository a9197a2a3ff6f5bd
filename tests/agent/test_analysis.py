"""Language, sentiment and summary of a transcript."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from gateway.agent.analysis import SUMMARY_CHARS, Analyser, first_sentence, summarise
from gateway.agent.base import EscalationReason
from gateway.agent.sentiment import label
from tests.agent.conftest import MakeTranscript


@pytest.mark.parametrize(("text", "lang"), [
    ("Hello, how can I download my invoice for March?", "en"),
    ("Guten Tag, wie kann ich meine Rechnung herunterladen?", "de"),
    ("Bonjour, comment puis-je télécharger ma facture ?", "fr"),
    ("Hola, ¿cómo puedo descargar mi factura?", "es"),
    ("Hallo, hoe kan ik mijn factuur downloaden?", "nl"),
    ("Olá, como posso baixar a minha fatura?", "pt"),
    ("Buongiorno, come posso scaricare la mia fattura?", "it"),
    ("ok", "und"),
    ("12345 !!!", "und"),
    ("", "und"),
])
def test_language(analyser: Analyser, text: str, lang: str) -> None:
    assert analyser.languages.detect(text) == lang


def test_language_falls_back_to_the_whole_conversation(analyser: Analyser,
                                                       transcript: MakeTranscript) -> None:
    t = transcript("Ich kann mich seit gestern nicht mehr anmelden, bitte um Hilfe.",
                   ("ai", "..."), "ok")
    assert analyser.language(t) == "de"


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Thanks a lot, that worked perfectly!", "en", "positive"),
    ("How do I add a user?", "en", "neutral"),
    ("This is the worst service ever, I am furious.", "en", "negative"),
    # German "die"/"war" are not the English words (-2.9 in VADER)
    ("Die Rechnung war korrekt, die Zahlung auch.", "de", "neutral"),
    ("Das ist eine Frechheit und völlig inakzeptabel!", "de", "negative"),
    ("Merci beaucoup !", "fr", "positive"),
])
def test_sentiment(analyser: Analyser, text: str, lang: str, expected: str) -> None:
    assert label(analyser.sentiment.compound(text, lang)) == expected


def test_sentiment_threshold_cases(analyser: Analyser) -> None:
    scorer = analyser.sentiment
    # a calm bug report is not anger: plain VADER says -0.84, the damped lexicon about -0.43
    bug = "My payment failed, the card was declined and there is an error. Something is wrong."
    assert SentimentIntensityAnalyzer().polarity_scores(bug)["compound"] < -0.8
    assert -0.6 < scorer.compound(bug, "en") < 0
    assert scorer.compound("Servizio pessimo, sono arrabbiato. Una vergogna!", "it") <= -0.6
    assert scorer.compound("I'm a bit disappointed the invoice is late.", "en") > -0.6
    assert scorer.compound("   ", "en") == 0.0


def test_analysis_uses_the_latest_customer_turns(analyser: Analyser,
                                                 transcript: MakeTranscript) -> None:
    t = transcript("This is terrible, I hate it!", ("ai", "Sorry!"), "Thanks, all good now.")
    analysis = analyser.analyse(t)
    assert analysis.sentiment_label == "positive" and analysis.language == "en"
    assert -1.0 <= analysis.sentiment_score <= 1.0


def test_first_sentence_skips_greetings() -> None:
    assert first_sentence("Hi Tom,\nI cannot log in. Please help!") == "I cannot log in."
    assert first_sentence("Bonjour,\n\nMa facture est fausse.") == "Ma facture est fausse."
    assert first_sentence("  ") == ""
    long = "word " * 100
    assert len(first_sentence(long)) == 160 and first_sentence(long).endswith("…")


def test_summary_is_extractive_short_and_deterministic(transcript: MakeTranscript) -> None:
    turns = [f"Mail number {n}. More detail here." for n in range(1, 7)]
    t = transcript(*turns, subject="Sync broken")
    summary = summarise(t, EscalationReason.REPEATED_CONTACT)
    assert summary == summarise(t, EscalationReason.REPEATED_CONTACT)
    assert summary.startswith("Subject: Sync broken. 6 customer mails. Customer: Mail number 1.")
    assert "Mail number 2." not in summary and "Customer: Mail number 6." in summary
    assert "More detail" not in summary
    assert summary.endswith("Escalated because the customer wrote repeatedly without resolution.")
    huge = transcript("x" * 5000 + ".", "y" * 5000 + ".")
    long_summary = summarise(huge, EscalationReason.MANUAL)
    assert len(long_summary) <= SUMMARY_CHARS
    assert long_summary.endswith("an operator handed the conversation off.")


@pytest.mark.parametrize(("text", "lang"), [
    ("Your support is a joke. Three emails, zero answers. Ridiculous.", "en"),
    ("Nobody has bothered to reply in a week. This is pathetic.", "en"),
    ("Seit zwei Wochen keine Antwort, das ist wirklich enttäuschend.", "de"),
    ("Toujours aucune réponse, c'est ridicule.", "fr"),
])
def test_being_ignored_next_to_a_complaint_is_anger(analyser: Analyser, text: str,
                                                    lang: str) -> None:
    assert analyser.sentiment.compound(text, lang) <= -0.6


@pytest.mark.parametrize("text", [
    "I emailed twice and got no reply. When will my refund arrive?",
    "No answer yet on my invoice question, could you check?",
    "Please ignore my previous mail, I found the invoice.",
])
def test_a_calm_no_reply_yet_is_not_anger(analyser: Analyser, text: str) -> None:
    assert analyser.sentiment.compound(text, "en") > -0.6


@pytest.mark.parametrize(("text", "lang"), [
    ("Ik ben enorm teleurgesteld, waardeloze lamp en slechte service.", "nl"),
    ("Eine katastrophale, unverschämte Abzocke.", "de"),
    ("Sono delusa, un servizio vergognosa.", "it"),
    ("Atendimento péssimos e horríveis.", "pt"),
])
def test_inflected_foreign_anger_words_count(analyser: Analyser, text: str, lang: str) -> None:
    assert analyser.sentiment.compound(text, lang) <= -0.6


def test_sarcasm_about_a_week_without_a_working_feature(analyser: Analyser) -> None:
    text = "Wow, another week without a working sync. Really impressive."
    assert analyser.sentiment.compound(text, "en") <= -0.6
    assert analyser.sentiment.compound("Really impressive, the new sync works!", "en") > 0


@pytest.mark.parametrize(("text", "lang"), [
    ("Awesome. The import erased half our tasks. Thanks for the extra night shift.", "en"),
    ("Love how the lamp switched itself on at 3am, second night in a row.", "en"),
    ("With respect, we are seriously reconsidering the contract after this month.", "en"),
    ("I have explained this five times and each time I was promised a fix.", "en"),
    ("Ich bin es leid, jede Woche dasselbe Problem.", "de"),
    ("J'en ai marre de ces coupures.", "fr"),
    ("Estoy harta de esperar.", "es"),
    ("Ik ben het echt zat met deze app.", "nl"),
    ("Estou farta deste serviço.", "pt"),
    ("Ich schreibe seit Tagen und es reagiert niemand, sehr ärgerlich.", "de"),
])
def test_fed_up_and_sarcastic_mails_are_anger(analyser: Analyser, text: str, lang: str) -> None:
    assert analyser.sentiment.compound(text, lang) <= -0.6


@pytest.mark.parametrize("text", [
    "Awesome, the import worked and all tasks are there.",
    "Can I cancel the contract at the end of the year?",
    "The app deleted a task when I pressed Ctrl+Enter. Is that expected?",
])
def test_praise_and_plain_questions_are_not_anger(analyser: Analyser, text: str) -> None:
    assert analyser.sentiment.compound(text, "en") > -0.6
