"""The English support thesaurus: well formed, used only for words the KB lacks, and it answers."""

from __future__ import annotations

import pytest

from gateway.agent.base import Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.lexicons import WORD, fold
from gateway.agent.retrieval import Retriever
from gateway.agent.synonyms import GROUPS, SYNONYMS
from gateway.storage.knowledge import KnowledgeIndex
from tests.agent.conftest import MakeTranscript


def test_every_term_is_in_one_group_and_knows_the_others() -> None:
    seen: set[str] = set()
    for group in GROUPS:
        terms = [" ".join(WORD.findall(fold(t))) for t in group.split(",")]
        assert len(terms) >= 2 and not seen & set(terms), group
        seen |= set(terms)
    assert "warranty" in SYNONYMS["guarantee"] and "guarantee" in SYNONYMS["warranty"]
    assert "refund" not in SYNONYMS["cancel"]  # related, not the same thing


def test_a_word_the_kb_lacks_gets_one_synonym_the_kb_uses(sample_index: KnowledgeIndex) -> None:
    retriever = Retriever(sample_index)
    passcode, postage = retriever.with_synonyms([("passcode",), ("postage",)])
    assert passcode == ("passcode", "password")
    assert len(postage) == 2 and sample_index.document_frequency(postage[1])
    assert retriever.with_synonyms([("password",)]) == [("password",)]  # the KB has it
    assert retriever.with_synonyms([("quokka",)]) == [("quokka",)]  # no synonym at all


@pytest.mark.parametrize(("text", "section"), [
    ("My passcode doesn't work anymore, how do I make a new one?",
     "account-access#reset-your-password"),
    ("Can I get reimbursed for the month I didn't use?", "refunds#refund-policy"),
])
async def test_a_customer_word_the_kb_does_not_use_still_finds_its_page(
        builtin: BuiltinAgent, transcript: MakeTranscript, text: str, section: str) -> None:
    decision = await builtin.decide(transcript(text))
    assert isinstance(decision.action, Reply), decision.action
    assert decision.action.sources[0] == section
