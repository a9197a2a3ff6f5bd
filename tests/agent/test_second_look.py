"""The second look at mails escalated as missing_knowledge, and declined requests left out."""

from __future__ import annotations

import pytest

from gateway.agent.analysis import Analyser
from gateway.agent.base import Escalation, EscalationReason, Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.policy import without_declined
from gateway.agent.second_look import weak_human_request
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript


async def decide(agent: BuiltinAgent, transcript: MakeTranscript, text: str) -> Reply | Escalation:
    return (await agent.decide(transcript(text, subject="Question"))).action


NOT_ANSWERABLE = "second look, escalated anyway:"  # the evidence keeps why the KB could not
ANSWERABLE = "not sent: confidence"  # the evidence keeps the answer it would have sent


@pytest.mark.parametrize(("text", "evidence"), [
    ("Could someone from your billing team look into whether you offer a student discount?",
     NOT_ANSWERABLE),
    ("¿Alguien de su equipo podría revisar si aceptan pagos en bitcoin?", NOT_ANSWERABLE),
    ("Czy ktoś z waszego zespołu może sprawdzić, czy macie wersję na Linuksa ARM?",
     NOT_ANSWERABLE),
    ("I'd rather discuss this in person: do you offer a partner programme for resellers?",
     NOT_ANSWERABLE),
    ("Tenho dúvidas sobre as faturas. Preferia que uma pessoa da vossa equipa me telefonasse.",
     NOT_ANSWERABLE),
    # the KB could answer these, but the customer asked to talk to one of the team
    ("Estamos pensando en pasar a toda la empresa al plan Business. ¿Sería posible que alguien"
     " de su equipo me llamara por teléfono esta semana?", ANSWERABLE),
    ("Could someone from your team go through the password reset with me by telephone?",
     ANSWERABLE),
    ("Would it be possible for one of your colleagues to discuss resetting my password with me?",
     ANSWERABLE),
])
async def test_an_indirect_wish_for_a_person_is_the_reason(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str, evidence: str) -> None:
    action = await decide(builtin, transcript, text)
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.USER_REQUEST, action.detail
    assert evidence in action.detail


async def test_an_indirect_wish_for_a_person_does_not_stop_an_answer(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    """The KB answers it; "someone from your team" is not a stranger changing a password."""
    action = await decide(builtin, transcript,
                          "Could someone from your team tell me how to reset my password?")
    assert isinstance(action, Reply), action
    assert action.sources[0] == "account-access#reset-your-password"


async def test_seeing_a_product_in_person_is_not_a_wish_for_a_person(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = await decide(builtin, transcript, "Is there a showroom where I could look at the"
                          " Acme Box in person before buying one?")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE


@pytest.mark.parametrize("text", [
    "You don't need anyone from your team to call me, it's a quick one.",
    "Nobody from your team needs to phone me.",
])
def test_a_declined_wish_for_a_person_is_none(text: str) -> None:
    assert weak_human_request(text) is None


async def test_a_leaver_still_signing_in_is_account_compromise_not_an_answer(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = await decide(builtin, transcript, "Someone who no longer works here still logs in"
                          " to our account and downloads our files.")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.PROHIBITED_TOPIC
    assert "account_compromise" in action.detail


async def test_a_negative_mood_is_the_reason_when_the_kb_has_no_answer(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = await decide(builtin, transcript, "I'm quite unhappy, the sync failed again and"
                          " I lost a morning of work. Do you support hardware tokens?")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.NEGATIVE_SENTIMENT, action.detail
    assert "second look" in action.detail


async def test_a_question_near_a_topic_stays_missing_knowledge(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    """Polish sits close to every prototype; asking is not reporting."""
    action = await decide(builtin, transcript, "Czy mogę korzystać z Acme na balkonie w deszczu?")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE


@pytest.mark.parametrize("text", [
    "No need to call me back, a short written answer is perfect: how do I download an invoice?",
    "You don't have to pass this on to a manager, quick one: how do I download an invoice?",
])
async def test_a_declined_request_is_not_part_of_the_question(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str) -> None:
    action = await decide(builtin, transcript, text)
    assert isinstance(action, Reply), action
    assert action.sources[0] == "billing#download-an-invoice-or-receipt"


def test_without_declined_keeps_requests_and_drops_only_the_declining_clause() -> None:
    assert without_declined("Please call me back.") == "Please call me back."
    assert without_declined(
        "No need to ring me, email is fine: how much is a new adapter? Thanks."
    ) == " how much is a new adapter? Thanks."
    german = "Kein Rückruf nötig. Wie lange dauert die Lieferung?"
    assert without_declined(german) == "  Wie lange dauert die Lieferung?"


async def test_outside_english_the_language_itself_does_not_name_the_reason(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    """A Polish thank-you sits 0.65 from a payment-dispute prototype: that is the language,
    not the topic; its English gloss is not near a topic, so the mail stays
    missing_knowledge."""
    action = await decide(builtin, transcript, "Czy macie aplikację na telewizor z systemem"
                          " Tizen? Z góry dziękuję za odpowiedź.")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE, action.detail


async def test_outside_english_the_gloss_names_the_topic(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    """No detector phrase, and the KB cannot answer: word for word ("qualcuno sta use le mie
    login credentials") the mail is near the account-compromise prototypes."""
    action = await decide(builtin, transcript, "Qualcuno sta usando le mie credenziali, ne"
                          " sono sicuro. Stamattina la password non funzionava più.")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.PROHIBITED_TOPIC, action.detail
    assert "account_compromise" in action.detail and "word-for-word English" in action.detail


async def test_a_real_employee_not_a_bot_is_a_human_request(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = await decide(builtin, transcript, "Proszę, żeby tą sprawą zajął się prawdziwy"
                          " pracownik, a nie bot.")
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.USER_REQUEST, action.detail


async def test_a_doubtful_topic_in_any_language_still_stops_a_calibrated_answer(
        sample_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    """The prototypes do not *name* a Polish reason, but their doubt still vetoes an answer
    the rules refused (even with the bar at 0.01): escalating costs less than answering a
    topic for a person."""
    agent = BuiltinAgent(AgentConfig(answer_probability=0.01), sample_index, analyser)
    mail = transcript("Jak długo trwa wysyłka na Islandię? Z góry dziękuję za odpowiedź.")
    action = (await agent.decide(mail)).action
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE, action.detail


async def test_a_polish_country_form_is_a_place_not_an_unknown_name(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    focus = builtin.unknown_focus(transcript("Jak długo trwa wysyłka do Polski? A do Niemiec?"),
                                  "pl")
    assert focus is None or ("Polski" not in focus and "Niemiec" not in focus), focus


def test_a_probability_just_under_the_bar_is_shown_under_it() -> None:
    from gateway.agent.builtin import _calibrated

    assert _calibrated(0.7996, 0.8) == "; calibrated 0.79 < 0.80"
    assert _calibrated(None, 0.8) == ""


@pytest.mark.parametrize(("text", "language"), [
    ("Echt top hoor, voor de derde keer deze maand is de synchronisatie weg.", "nl"),
    ("Complimenti vivissimi: ordine pagato il 2, della lampada nessuna traccia.", "it"),
])
def test_round_18_sarcasm_is_negative(analyser: Analyser, text: str, language: str) -> None:
    assert analyser.sentiment.compound(text, language) <= -0.3
