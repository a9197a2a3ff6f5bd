"""The escalation policy: human requests in 7 languages, prohibited topics, anger, repetition."""

from __future__ import annotations

import pytest

from gateway.agent.base import Analysis, EscalationReason
from gateway.agent.policy import EscalationPolicy, asks_for_human, mask_name, topic_pattern
from gateway.config import AgentConfig
from tests.agent.conftest import MakeTranscript

CALM = Analysis("neutral", 0.0, "en", "")


@pytest.mark.parametrize("text", [
    "Can I speak to a human please?",
    "I want to talk with a real person.",
    "Please connect me with your manager.",
    "I need a supervisor, now.",
    "Call me back on 0151 1234567.",
    "Please escalate this to someone senior.",
    "Stop sending me canned responses.",
    "Ich will mit einem echten Menschen reden.",
    "Kann ich bitte einen Mitarbeiter sprechen?",
    "Rufen Sie mich bitte an.",
    "Je voudrais parler à un conseiller.",
    "Pouvez-vous me rappeler demain ?",
    "Quiero hablar con un agente humano.",
    "Llámenme, por favor.",
    "Ik wil graag een medewerker spreken.",
    "Bel me alstublieft terug.",
    "Quero falar com uma pessoa.",
    "Posso parlare con un operatore?",
    "VORREI PARLARE CON QUALCUNO",
])
def test_asks_for_human(text: str) -> None:
    assert asks_for_human(text) is not None


@pytest.mark.parametrize("text", [
    "How do I reset my password?",
    "I am a manager of a team of 12 people; how do I add seats?",
    "Our human resources team needs the invoices.",
    "I talked to your sales team last week about pricing.",
    "Die Personalabteilung braucht die Rechnungen.",
    "Personne ne m'a répondu au sujet de ma facture.",
    "¿Cómo cambio la persona de contacto de facturación?",
    "Stop sending automated messages about storage, how do I turn them off?",
])
def test_does_not_ask_for_human(text: str) -> None:
    assert asks_for_human(text) is None


def test_prohibited_topics_word_boundary_case_and_accents() -> None:
    policy = EscalationPolicy(AgentConfig(prohibited_topics=["sue", "legal action", "Anwält"]))
    assert policy.prohibited_topic("We will SUE you.") == "sue"
    assert policy.prohibited_topic("This issue is urgent, pursue it.") is None
    assert policy.prohibited_topic("we may take\nlegal   action") == "legal action"
    assert policy.prohibited_topic("Mein ANWALT meldet sich.") == "Anwält"
    assert policy.prohibited_topic("Die Anwaltskanzlei schreibt.") is None


def test_the_customers_own_name_is_not_a_topic() -> None:
    policy = EscalationPolicy(AgentConfig())
    assert policy.prohibited_topic("Thanks, Sue", customer_name="Sue Miller") is None
    assert policy.prohibited_topic("Sue will sue you", customer_name="Bob") == "sue"
    assert "sue" not in mask_name("Regards, Sue", "Sue")
    assert topic_pattern("dispute the charge").search("i will dispute  the charge")


def test_repeated_contact_counts_pending_or_total(transcript: MakeTranscript) -> None:
    policy = EscalationPolicy(AgentConfig(repeated_contact_threshold=3))
    assert policy.repeated_contact(transcript("a", "b")) is None
    assert "3 customer mails since the last reply" in (
        policy.repeated_contact(transcript(("ai", "hi"), "a", "b", "c")) or "")
    total = transcript("a", ("ai", "x"), "b", ("agent", "y"), "c")
    assert "3 customer mails in this conversation" in (policy.repeated_contact(total) or "")


def test_precedence(transcript: MakeTranscript) -> None:
    policy = EscalationPolicy(AgentConfig(repeated_contact_threshold=2))
    angry = Analysis("negative", -0.9, "en", "")
    everything = transcript("x", "Speak to a human or my lawyer sues you!")
    assert policy.check(everything, angry).reason == EscalationReason.USER_REQUEST  # type: ignore[union-attr]
    legal = transcript("x", "My lawyer will call.")
    assert policy.check(legal, angry).reason == EscalationReason.PROHIBITED_TOPIC  # type: ignore[union-attr]
    assert policy.check(transcript("x", "This is bad."), angry).reason == (  # type: ignore[union-attr]
        EscalationReason.NEGATIVE_SENTIMENT)
    assert policy.check(transcript("x", "Hello?"), CALM).reason == (  # type: ignore[union-attr]
        EscalationReason.REPEATED_CONTACT)
    assert policy.check(transcript("How do I reset my password?"), CALM) is None


def test_sentiment_threshold_is_inclusive(transcript: MakeTranscript) -> None:
    policy = EscalationPolicy(AgentConfig(negative_sentiment_threshold=-0.6))
    at = Analysis("negative", -0.6, "en", "")
    above = Analysis("negative", -0.59, "en", "")
    assert policy.check(transcript("text"), at) is not None
    assert policy.check(transcript("text"), above) is None


def test_only_the_latest_customer_turns_are_checked(transcript: MakeTranscript) -> None:
    policy = EscalationPolicy(AgentConfig())
    answered = transcript("I want to speak to a human", ("agent", "Here I am."), "Thanks!")
    assert policy.check(answered, CALM) is None
