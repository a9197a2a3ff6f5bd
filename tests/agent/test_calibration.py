"""The calibrated answer probability (agent.answer_probability) on individual mails."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.agent.analysis import Analyser
from gateway.agent.base import Escalation, EscalationReason, Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.calibration import AnswerEvidence, answer_probability
from gateway.config import AgentConfig
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript

HARBOR = Path(__file__).resolve().parents[2] / "eval/kb/harbor"
CHOIR = ("Bonjour, je coordonne une petite chorale et nous utilisons Harbor pour préparer les"
         " concerts. Depuis que je suis dans huit projets, ma boîte de réception déborde."
         " Peut-on recevoir un seul résumé par jour au lieu d'un courriel pour chaque changement ?")


@pytest.fixture(scope="module")
def harbor_index() -> KnowledgeIndex:
    return KnowledgeIndex.from_folder(HARBOR)


async def decide(index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript,
                 text: str, **settings: object) -> Reply | Escalation:
    agent = BuiltinAgent(AgentConfig(knowledge_base=HARBOR, **settings), index, analyser)
    return (await agent.decide(transcript(text, subject="Question"))).action


async def test_the_bar_decides_whether_the_evidence_may_answer_what_the_rules_escalate(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    off = await decide(harbor_index, analyser, transcript, CHOIR, answer_probability=1.0)
    assert isinstance(off, Escalation), off
    assert off.reason == EscalationReason.MISSING_KNOWLEDGE
    assert "calibrated" not in off.detail  # 1.0 switches the model off
    default = await decide(harbor_index, analyser, transcript, CHOIR)
    assert isinstance(default, Escalation), default
    assert "; calibrated 0." in default.detail and "< 0.80" in default.detail  # the evidence
    low = await decide(harbor_index, analyser, transcript, CHOIR, answer_probability=0.3)
    assert isinstance(low, Reply), low
    assert low.evidence.startswith("calibrated 0.") and ">= 0.30" in low.evidence
    assert low.sources[0] == "views#email-notifications"


async def test_a_name_the_kb_never_mentions_is_never_overruled(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    action = await decide(harbor_index, analyser, transcript,
                          "Can we import all our boards from Monday.com?", answer_probability=0.01)
    assert isinstance(action, Escalation), action
    assert "Monday.com" in action.detail


async def test_no_calibrated_answer_when_the_second_look_sees_a_reason(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    action = await decide(harbor_index, analyser, transcript, "I'm quite unhappy, the sync"
                          " failed again and I lost a morning of work. Do you support hardware"
                          " tokens?", answer_probability=0.01)
    assert isinstance(action, Escalation), action
    assert action.reason == EscalationReason.NEGATIVE_SENTIMENT


async def test_without_semantic_matching_only_the_rules_decide(
        harbor_index: KnowledgeIndex, analyser: Analyser, transcript: MakeTranscript) -> None:
    action = await decide(harbor_index, analyser, transcript, CHOIR, semantic=False,
                          answer_probability=0.01)
    assert isinstance(action, Escalation), action
    assert "calibrated" not in action.detail


def test_more_lexical_evidence_is_more_likely_an_answer() -> None:
    weak = AnswerEvidence(confidence=0.1, runner_up=0.9, question_min=0.1, question_max=0.1,
                          questions=1, meaning=0.2, question_meaning=0.2, unknown_share=0.5,
                          unknown=4, length=3.0, english=1)
    strong = AnswerEvidence(confidence=0.6, runner_up=0.3, question_min=0.6, question_max=0.6,
                            questions=1, meaning=0.6, question_meaning=0.6, unknown_share=0.0,
                            unknown=0, length=3.0, english=1)
    assert 0.0 < answer_probability(weak) < answer_probability(strong) < 1.0


@pytest.mark.parametrize("bar", [0.0, -0.1, 1.5])
def test_the_bar_must_be_a_probability(bar: float) -> None:
    with pytest.raises(ValidationError):
        AgentConfig(answer_probability=bar)
