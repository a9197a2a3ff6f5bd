"""Every labelled mail is decided as labelled by the builtin agent (decision, reason, source)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gateway.agent.base import Escalation, Reply
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.compose import display_name, strip_signoff
from gateway.agent.evaluation import load_labelled, outcome, run, table

LABELLED = load_labelled(Path(__file__).with_name("labelled.yaml"))


def test_the_set_is_big_and_multilingual_enough() -> None:
    assert len(LABELLED) >= 40
    assert len({m.id for m in LABELLED}) == len(LABELLED)
    langs = Counter(m.lang for m in LABELLED)
    assert all(langs[lang] >= 5 for lang in ("en", "de", "fr", "es")), langs
    assert all(langs[lang] >= 1 for lang in ("nl", "pt", "it")), langs
    outcomes = Counter(m.expect for m in LABELLED)
    assert set(outcomes) == {"reply", "user_request", "prohibited_topic", "negative_sentiment",
                             "repeated_contact", "missing_knowledge"}


@pytest.mark.parametrize("mail", LABELLED, ids=[m.id for m in LABELLED])
async def test_labelled_mail(builtin: BuiltinAgent, mail) -> None:  # type: ignore[no-untyped-def]
    decision = await builtin.decide(mail.transcript)
    action = decision.action
    assert outcome(decision) == mail.expect, getattr(action, "detail", action)
    assert decision.analysis.language == mail.lang
    assert decision.analysis.summary
    if isinstance(action, Escalation):
        assert action.summary.startswith(decision.analysis.summary.rstrip("…"))
        assert "Escalated because" in action.summary and action.detail
        return
    assert isinstance(action, Reply)
    assert action.sources and action.sources[0].split("#")[0] in mail.docs
    first_line = action.markdown.splitlines()[0]
    name = display_name(mail.transcript.customer_name)
    assert (name in first_line) if name else first_line.rstrip(",:") in {
        "Hi", "Hallo", "Bonjour", "Hola", "Olá", "Buongiorno"}
    assert strip_signoff(action.markdown) == action.markdown  # no sign-off, no signature


async def test_table_counts_each_outcome(builtin: BuiltinAgent) -> None:
    mails = LABELLED[:6]
    report = table(await run(builtin, mails))
    assert f"| **all** | {len(mails)} |" in report
    assert "| reply |" in report
