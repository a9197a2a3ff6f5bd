"""Semantic matching (agent.semantic) on individual mails: paraphrases the words miss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gateway.agent.analysis import Analyser
from gateway.agent.base import Escalation, EscalationReason, Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.detectors import CATEGORIES
from gateway.agent.semantic import embed, similarity, topic_prototypes
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript

HARBOR = Path(__file__).resolve().parents[2] / "eval/kb/harbor"


@pytest.fixture(scope="module")
def harbor_index() -> KnowledgeIndex:
    return KnowledgeIndex.from_folder(HARBOR)


def agent(index: KnowledgeIndex, analyser: Analyser, *, semantic: bool) -> BuiltinAgent:
    return BuiltinAgent(AgentConfig(knowledge_base=HARBOR, semantic=semantic), index, analyser)


def test_the_model_loads_from_the_wheel_and_ranks_paraphrases_first() -> None:
    vectors = embed(["I forgot my login credentials", "How do I reset my password?"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    question = "I forgot my login credentials"
    assert similarity(question, "How do I reset my password?") > similarity(
        question, "What does the Pro plan cost per month?")


async def test_paraphrased_question_is_answered_only_with_semantic(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    mail = transcript("Läuft die GitLab-Anbindung auch mit einem GitLab, das wir selbst"
                      " betreiben?", subject="GitLab", name="Jonas")
    without = (await agent(harbor_index, analyser, semantic=False).decide(mail)).action
    assert isinstance(without, Escalation), without
    assert without.reason == EscalationReason.MISSING_KNOWLEDGE
    reply = (await agent(harbor_index, analyser, semantic=True).decide(mail)).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0].startswith("integrations#gitlab")
    assert reply.evidence.startswith("semantic ")  # the operator sees why


async def test_near_miss_second_question_stays_missing_knowledge(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    decision = await builtin.decide(transcript(
        "How do I change the email I log in with? Also, is it allowed for two people to"
        " share one login?", subject="shared login"))
    action = decision.action
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.MISSING_KNOWLEDGE


async def test_compromise_without_keywords_is_a_prohibited_topic(
        builtin: BuiltinAgent, sample_index: KnowledgeIndex, analyser: Analyser,
        transcript: MakeTranscript) -> None:
    mail = transcript("A former employee still seems to have access and has been downloading"
                      " client files this week. We removed him weeks ago.", subject="access")
    action = (await builtin.decide(mail)).action
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.PROHIBITED_TOPIC
    assert "account_compromise" in action.detail and "semantic" in action.detail
    off = BuiltinAgent(AgentConfig(semantic=False), sample_index, analyser)
    assert (await off.decide(mail)).action.reason != EscalationReason.PROHIBITED_TOPIC


@pytest.mark.parametrize("text", [
    "Alguien cambió el correo de recuperación de mi cuenta y no fui yo.",
    "Ktoś zmienił e-mail do odzyskiwania na moim koncie, to nie byłem ja.",
    "Een collega die vorige maand is vertrokken, kan nog steeds in ons account en downloadt"
    " bestanden.",
])
def test_compromise_paraphrases_in_other_languages(text: str) -> None:
    found = topic_prototypes().closest(text, CATEGORIES)
    assert found is not None and found[0] == "account_compromise"


@pytest.mark.parametrize("text", [
    "How do I remove a former employee from our workspace?",
    "A colleague left the company, how do I take away his access?",
    "Our lamp gets a bit warm after a few hours, is that normal?",
    "Can I keep going with the free plan after the trial?",
    "How do I delete my account and all my data?",
    "My bank declined the payment, can I try another card?",
    "How do I turn off two-factor login for my account?",
])
def test_how_to_questions_near_a_topic_are_not_one(text: str) -> None:
    assert topic_prototypes().closest(text, CATEGORIES) is None


def test_inactive_categories_are_not_matched() -> None:
    text = "I don't see the point of anything anymore and I don't think I can keep going."
    assert topic_prototypes().closest(text, ("self_harm_safety",)) is not None
    assert topic_prototypes().closest(text, ("legal", "payment_dispute")) is None


async def test_the_section_closest_in_meaning_is_quoted_first(
        builtin: BuiltinAgent, sample_index: KnowledgeIndex, analyser: Analyser,
        transcript: MakeTranscript) -> None:
    mail = transcript("Before we cancel I'd like to take all our files with us. Is there a way"
                      " to export everything in one go?", subject="export")
    reply = (await builtin.decide(mail)).action
    assert isinstance(reply, Reply), reply
    assert reply.sources[0] == "account-deletion#export-your-data-before-you-leave"
    off = BuiltinAgent(AgentConfig(semantic=False), sample_index, analyser)
    before = (await off.decide(mail)).action
    assert isinstance(before, Reply) and before.sources[0].startswith("plans#")


async def test_explain_shows_each_passages_semantic_score(
        builtin: BuiltinAgent, transcript: MakeTranscript) -> None:
    from gateway.agent.explain import explain

    text = await explain(builtin, transcript("How do I reset my password?"))
    passages = [line for line in text.splitlines() if "bm25" in line]
    assert passages and all(" semantic " in line for line in passages)
