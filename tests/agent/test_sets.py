"""The builtin agent on individual mails of the project's own KBs, and the eval/explain CLI."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from gateway.agent.analysis import Analyser
from gateway.agent.base import Escalation, EscalationReason, Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.evaluation import load_labelled, report, run
from gateway.agent.retrieval import own_text
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript
from tests.agent.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
LUMEN = ROOT / "eval/kb/lumen"
HARBOR = ROOT / "eval/kb/harbor"


@pytest.fixture(scope="module")
def lumen_index() -> KnowledgeIndex:
    return KnowledgeIndex.from_folder(LUMEN)


@pytest.fixture
async def lumen(lumen_index: KnowledgeIndex, analyser: Analyser) -> AsyncIterator[BuiltinAgent]:
    yield BuiltinAgent(AgentConfig(knowledge_base=LUMEN), lumen_index, analyser)


async def test_german_question_is_answered_from_the_german_page(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    decision = await lumen.decide(transcript(
        "Hallo, wie lange habe ich Garantie auf die Lampe? Viele Grüße, Jonas", name="Jonas"))
    reply = decision.action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "de/bestellungen#garantie"
    assert reply.markdown.startswith("Hallo Jonas,")
    assert "Englisch" not in reply.markdown  # the KB speaks German: no "English only" note
    assert "2 Jahre Garantie" in reply.markdown.split("\n\n")[2]  # the direct answer leads


async def test_french_customer_is_told_the_answer_is_in_english(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    reply = (await lumen.decide(transcript(
        "Bonjour, je voudrais retourner la lampe, elle ne me convient pas. Comment faire ?",
        name="Camille", subject="Retour"))).action
    assert isinstance(reply, Reply), reply
    assert reply.markdown.startswith("Bonjour Camille,")
    assert "qu'en anglais" in reply.markdown
    assert reply.sources[0].split("#")[0] in {"en/orders", "de/bestellungen"}


async def test_two_questions_get_two_passages(lumen: BuiltinAgent,
                                              transcript: MakeTranscript) -> None:
    reply = (await lumen.decide(transcript(
        "Two things: does the lamp need 2.4 GHz wifi? And does it work with Google Home?"))).action
    assert isinstance(reply, Reply), reply
    assert {"en/setup#wi-fi-requirements", "en/using#voice-assistants"} <= set(reply.sources)
    assert "confidence" in reply.evidence


async def test_unknown_topic_escalates_with_its_evidence(lumen: BuiltinAgent,
                                                         transcript: MakeTranscript) -> None:
    action = (await lumen.decide(transcript("Can I use the lamp on my boat?"))).action
    assert isinstance(action, Escalation)
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE
    assert "confidence" in action.detail and "<" in action.detail


@pytest.mark.parametrize(("text", "evidence"), [
    ("Can we import our boards from Monday.com?", "names 'Monday.com'"),
    ("Is the lamp HIPAA certified?", "names 'HIPAA'"),
    ("Does the lamp have a whiteboard, mind map or karaoke feature?", "not in the KB"),
    ("Does the lamp work with Philips Hue scenes?", "names 'Philips'"),
])
async def test_question_about_something_the_kb_never_mentions(
        lumen: BuiltinAgent, transcript: MakeTranscript, text: str, evidence: str) -> None:
    action = (await lumen.decide(transcript(text))).action
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE and evidence in action.detail


async def test_declined_callback_still_gets_the_answer(lumen: BuiltinAgent,
                                                       transcript: MakeTranscript) -> None:
    action = (await lumen.decide(transcript(
        "No need to call me back, an email is fine. Does the lamp work with Alexa?"))).action
    assert isinstance(action, Reply), action


@pytest.mark.parametrize(("text", "reason", "evidence"), [
    ("Oh great, the update bricked my lamp again. Thanks a lot for the paperweight.",
     EscalationReason.NEGATIVE_SENTIMENT, "sarcasm"),
    ("担当者の方と直接話したいです。", EscalationReason.USER_REQUEST, "(ja)"),
    ("Moje konto zostało zhakowane, ktoś zmienił hasło.", EscalationReason.PROHIBITED_TOPIC,
     "account_compromise"),
    ("充電中にランプが発火しました。", EscalationReason.PROHIBITED_TOPIC, "self_harm_safety"),
])
async def test_escalations_name_their_rule(lumen: BuiltinAgent, transcript: MakeTranscript,
                                           text: str, reason: EscalationReason,
                                           evidence: str) -> None:
    action = (await lumen.decide(transcript(text))).action
    assert isinstance(action, Escalation)
    assert action.reason == reason and evidence in action.detail, action.detail


async def test_forwarded_thread_is_answered_from_the_customers_own_words(
        analyser: Analyser, transcript: MakeTranscript) -> None:
    index = KnowledgeIndex.from_folder(HARBOR)
    try:
        agent = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), index, analyser)
        reply = (await agent.decide(transcript(
            "See below. How long do deleted projects stay in the trash?\n\n"
            "-----Original Message-----\nFrom: Sam\nSubject: oops\n\n"
            "I think I deleted the Q3 launch project and the Slack integration, sorry!!"))).action
        assert isinstance(reply, Reply), reply
        assert reply.sources[0].startswith("projects#")
        assert not any(s.startswith("integrations") for s in reply.sources)  # quoted part
    finally:
        index.close()


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"body": "hi", "expect": "answer"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2: not JSON"):
        load_labelled(bad)
    bad.write_text('{"body": "hi", "expect": "escalate", "reason": "bored"}\n')
    with pytest.raises(ValueError, match="unknown escalation reason 'bored'"):
        load_labelled(bad)


async def test_report_has_every_figure_and_the_confusion(lumen: BuiltinAgent,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"language": "en", "subject": "Alexa", "body": "Does the lamp work with Alexa?",
         "expect": "answer", "docs": ["en/using"]},
        {"language": "de", "subject": "Anwalt", "body": "Mein Anwalt meldet sich bei Ihnen.",
         "expect": "escalate", "reason": "prohibited_topic"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    text = report(await run(lumen, load_labelled(path)))
    for figure in ("decision accuracy", "answer recall", "precision", "escalation recall",
                   "reason accuracy", "confusion"):
        assert figure in text
    assert "\nde " in text and "\nen " in text  # per-language rows
    assert "largest decision-accuracy gap below English: de" in text


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--config", str(ROOT / "config.yaml"), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k"})


def test_agent_eval_and_explain_cli(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "q1", "language": "en", "subject": "Reset",
                                "body": "How do I factory reset the lamp?", "expect": "answer",
                                "docs": ["en/setup"]}) + "\n", encoding="utf-8")
    done = cli("agent", "eval", str(path), "--kb", str(LUMEN))
    assert done.returncode == 0, done.stderr
    assert "decision accuracy" in done.stdout and "confusion" in done.stdout
    done = cli("agent", "explain", str(path), "--id", "q1", "--kb", str(LUMEN))
    assert done.returncode == 0, done.stderr
    assert "decision: answer from en/setup#reset-the-lamp-to-factory-settings" in done.stdout
    assert "passages (best first)" in done.stdout
    assert re.search(r"calibrated: (?:0\.9\d|1\.00) that the best section answers \(bar 0\.80",
                     done.stdout), done.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    done = cli("agent", "eval", str(bad))
    assert done.returncode != 0 and "not JSON" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


async def test_polite_fury_is_not_softened_by_greeting_and_signoff(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = (await builtin.decide(transcript(
        "Dear support team,\n\nOur entire team lost a day of work because of your outage. "
        "Unacceptable and frankly pathetic.\n\nBest regards,\nOliver"))).action
    assert isinstance(action, Escalation)
    assert action.reason == EscalationReason.NEGATIVE_SENTIMENT, action.detail


async def test_disputing_charges_with_the_bank_is_a_payment_dispute(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    action = (await builtin.decide(transcript(
        "There are three charges on my card that I did not authorise. "
        "I'm disputing them with my bank."))).action
    assert isinstance(action, Escalation)
    assert action.reason == EscalationReason.PROHIBITED_TOPIC
    assert "payment_dispute" in action.detail


async def test_agent_eval_scores_the_configured_openai_agent(
        tmp_path: Path, fake_openai: FakeOpenAI) -> None:

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["agent"]["kind"] = "openai"
    config["agent"]["openai"] = {"base_url": fake_openai.base_url, "model": "fake",
                                 "max_retries": 0, "timeout": 5}
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    mails = tmp_path / "set.jsonl"
    mails.write_text("".join(json.dumps(m) + "\n" for m in [
        {"id": "a", "language": "en", "subject": "Reset", "body": "How do I reset the lamp?",
         "expect": "answer", "docs": ["en/setup"]},
        {"id": "b", "language": "en", "subject": "Hue", "body": "Does it work with Hue?",
         "expect": "escalate", "reason": "missing_knowledge"},
    ]), encoding="utf-8")
    fake_openai.content("Hold the button for 10 seconds."
                        " [en/setup#reset-the-lamp-to-factory-settings]")
    fake_openai.content("Yes, it does!")  # no citation: the guardrail escalates it
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "--config", str(cfg_path), "agent", "eval",
        str(mails), "--kb", str(LUMEN), "--errors", cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "OPENCX_GATEWAY_SECRET_KEY": "k"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "(openai agent)" in text and len(fake_openai.requests) == 2
    assert text.rstrip().endswith("wrong:")  # both mails decided as labelled


async def test_a_country_the_kb_does_not_list_is_not_an_unknown_topic(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    reply = (await lumen.decide(transcript("How long does shipping to Portugal take?"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "en/orders#shipping-times"


async def test_german_nouns_are_not_product_names(lumen: BuiltinAgent,
                                                   transcript: MakeTranscript) -> None:
    reply = (await lumen.decide(transcript(
        "Wann bekomme ich nach der Rücksendung mein Geld zurück?", name="Jonas"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "de/bestellungen#rucksendung"


async def test_po_box_is_not_pissed_off(builtin: BuiltinAgent,
                                        transcript: MakeTranscript) -> None:
    decision = await builtin.decide(transcript(
        "Hi,\n\nCan you deliver the Acme Box to a PO box address?\n\nBest regards,\nOliver"))
    assert decision.analysis.sentiment_score > -0.05
    action = decision.action
    assert not (isinstance(action, Escalation)
                and action.reason == EscalationReason.NEGATIVE_SENTIMENT), action


async def test_question_only_in_the_forwarded_part_is_answered(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    reply = (await builtin.decide(transcript(
        "Forwarding our developer's question:\n\n-----Original Message-----\nFrom: Raj\n"
        "Subject: API\n\nWhat are the rate limits of the API?"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "api-keys#rate-limits"


async def test_each_question_gets_its_own_direct_answer(
        analyser: Analyser, transcript: MakeTranscript) -> None:
    index = KnowledgeIndex.from_folder(HARBOR)
    try:
        agent = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), index, analyser)
        reply = (await agent.decide(transcript(
            "Where can I download my invoices? And can I pay by PayPal?",
            subject="Invoices"))).action
        assert isinstance(reply, Reply), reply
        direct = reply.markdown.split("\n\n")[2].splitlines()
        assert direct[0].startswith("- Invoices are emailed to the billing contact")
        assert direct[1] == "- We do not accept PayPal or cheques."
    finally:
        index.close()


@pytest.mark.parametrize(("text", "source"), [
    ("Nie mogę się zalogować, konto jest zablokowane po kilku próbach logowania. Co robić?",
     "account-access#account-locked-after-too-many-attempts"),
    ("Hoe voeg ik ons btw-nummer toe aan de facturen?",
     "billing#change-the-company-name-address-or-vat-number-on-invoices"),
])
async def test_sign_in_and_add_number_vocabulary_is_translated(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str, source: str) -> None:
    reply = (await builtin.decide(transcript(text))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == source


async def test_the_section_that_covers_the_question_is_quoted_first(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    # the subject's "limits" makes the API rate-limits section the bm25 leader
    reply = (await builtin.decide(transcript(
        "Hi,\n\nHow much storage does the Free plan include?\n\nThanks",
        subject="Free plan limits", name="Jenny Wu"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "plans#which-plans-are-there"


@pytest.mark.parametrize(("text", "section"), [
    ("Quanto tempo ci vuole per la spedizione in Italia?", "shipping-times"),
    ("¿Cuánto tarda el envío a España?", "shipping-times"),
    ("Quelle est la durée de la garantie en France ?", "warranty"),
    ("Jak długa jest gwarancja na lampę w Polsce?", "warranty"),
])
async def test_a_named_country_and_a_duration_word_do_not_hide_the_topic(
        lumen: BuiltinAgent, transcript: MakeTranscript, text: str, section: str) -> None:
    reply = (await lumen.decide(transcript(text))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0].endswith(section) or reply.sources[0].endswith("garantie")


async def test_a_month_is_not_a_product_name(builtin: BuiltinAgent,
                                             transcript: MakeTranscript) -> None:
    reply = (await builtin.decide(transcript(
        "Where can I download the invoice for the payment we made in October?"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0].startswith("billing#")


@pytest.fixture(scope="module")
def harbor_index() -> KnowledgeIndex:
    return KnowledgeIndex.from_folder(HARBOR)


async def test_a_quoted_error_code_that_names_a_section_is_enough(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    reply = (await harbor.decide(transcript(
        "Dear support team,\n\nWe can't downgrade to Team, it says HB-5004.\n\nSarah\n",
        subject="HB-5004", name="Sarah Collins"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "errors#hb-5004-plan-change-blocked"
    # two different codes: no single section is named, the usual confidence decides
    action = (await harbor.decide(transcript(
        "We see HB-5004 and HB-1001 whenever we change the team's seats."))).action
    assert not isinstance(action, Reply) or action.sources[0].startswith("errors#")


async def test_price_question_is_answered_from_the_price_table(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    """'How much … cost per month' finds the table whose header says Price (issue 9)."""
    reply = (await builtin.decide(transcript(
        "Hi, how much does the Pro plan cost per month?",
        subject="How much does the Pro plan cost per month?"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "plans#which-plans-are-there"
    assert "€12 per user per month" in reply.markdown.split("From our help centre")[0]


async def test_greeting_line_is_not_part_of_the_question(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    found = await lumen.retrieve(transcript(
        "Dear support team,\n\nDoes the lamp have a warranty in Canada?\n\nBest regards,\nTom",
        name="Tom Reed", subject="Warranty"))
    words = {t for group in found.groups for t in group}
    assert "warranty" in words
    assert not words & {"support", "team", "dear", "regards"}


async def test_a_short_question_alone_does_not_rescue_an_uncovered_mail(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    decision = await lumen.decide(transcript(
        "We're staying at a campsite where you tick a box in the browser before you get"
        " online, and the site staff can't tell me more. Would it work there?",
        name="Tom Reed", subject="Campsite"))
    action = decision.action
    assert isinstance(action, Escalation), action  # not the Alexa page for "work"
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE


async def test_a_forward_under_a_pointer_question_is_the_question(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    decision = await harbor.decide(transcript(
        "Can you help with this one?\n\n---------- Forwarded message ---------\n"
        "From: Sam Example <sam@agency.example>\nSubject: calls\n\n"
        "If we start a Zoom meeting from a task, where does the recording end up?",
        name="Tom Reed", subject="Fwd: calls"))
    reply = decision.action
    assert isinstance(reply, Reply), reply
    assert "zoom" in reply.sources[0], reply.sources


async def test_a_foreign_word_outside_the_glossary_matches_its_english_cognate(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    found = harbor.retriever.retrieve_sync("Gdzie w ustawieniach jest dziennik audytu?")
    assert any("audit" in group for group in found.groups), found.groups
    reply = (await harbor.decide(transcript(
        "Gdzie w ustawieniach jest dziennik audytu?", name="Piotr Kowalski"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "security#audit-log"


async def test_the_page_in_the_customers_language_wins_at_half_the_confidence(
        lumen: BuiltinAgent, transcript: MakeTranscript) -> None:
    reply = (await lumen.decide(transcript(
        "Lässt sich die Lampe mit meinem 5-GHz-WLAN verbinden?", name="Jonas Becker"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "de/einrichtung#wlan-voraussetzungen"


async def test_a_city_or_country_in_capitals_is_not_an_unknown_product(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    reply = (await builtin.decide(transcript(
        "Do you deliver the Acme Box to Geneva, and what does shipping cost?",
        name="Tom Reed"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0].startswith("shipping#")
    assert builtin.unknown_focus(transcript("Wie lange dauert der Versand in die USA?"),
                                 "de") is None


async def test_foreign_function_words_do_not_make_a_question_about_something_else(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    # "jede", "welchem"-like words are function words of the stop-words package lists
    mail = transcript("Wie lege ich eine Aufgabe an, die sich jede Woche wiederholt?")
    assert harbor.unknown_focus(mail, "de") is None


async def test_a_language_name_is_vocabulary_not_an_unknown_product(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    reply = (await harbor.decide(transcript(
        "Kan ik de taal van Harbor op Nederlands zetten?", name="Daan Jansen"))).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "views#change-language-and-time-zone"


def test_a_forward_under_a_remark_without_a_question_is_the_matter() -> None:
    """"See below from my mum" asks nothing itself: the forwarded mail is what to answer,
    even when nobody wrote a question mark."""
    text = ("Hi there,\n\nsee below from my mum, can u help her\n\n"
            "---------- Forwarded message ---------\nFrom: Mum <mum@example.test>\n"
            "Subject: lamp\n\nhow do i change the colour of the lamp from my phone\n")
    own = own_text(text)
    assert "colour of the lamp" in own and "mum@example.test" not in own


def test_a_family_pointer_question_points_at_the_forward() -> None:
    text = ("Dad asked me to pass this on, can you help him?\n\n"
            "---------- Forwarded message ---------\nFrom: Ron <ron@example.test>\n"
            "Subject: receipt\n\nWhere do I download the receipt for March?\n")
    assert "Dad asked" not in own_text(text) and "receipt for March?" in own_text(text)


def test_a_quoted_reply_below_a_remark_stays_out() -> None:
    """A quoted earlier answer is not the customer's matter (only forwards are)."""
    text = ("Thanks, that worked.\n\nOn Mon, 3 Mar 2025, Support wrote:\n"
            "> To reset your password, open Settings and choose Reset.\n")
    assert "reset" not in own_text(text).casefold()


async def test_an_error_code_written_without_its_hyphen_finds_its_section(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    decision = await harbor.decide(transcript("keep getting hb1002 cant log in what do i do"))
    reply = decision.action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0].startswith("errors#hb-1002"), reply.sources


async def test_an_error_code_of_the_kbs_scheme_it_lacks_is_missing_knowledge(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    harbor = BuiltinAgent(AgentConfig(knowledge_base=HARBOR), harbor_index, analyser)
    decision = await harbor.decide(transcript(
        "The export stops halfway and shows error HB-6001. What does that code mean?"))
    action = decision.action
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE
    assert "'HB-6001'" in action.detail
    order = await harbor.decide(transcript(
        "Where can I see the invoice for order ORD-12345 in the billing settings?"))
    assert "ORD-12345" not in (getattr(order.action, "detail", "") or "")
