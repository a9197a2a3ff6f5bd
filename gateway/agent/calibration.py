"""Calibrated answer probability: how likely the best KB section answers the mail, from evidence.

The rules (confidence threshold, "most words are not in the KB") are bars on one number
each. A logistic model over the evidence the agent already has (lexical confidence and
margin, per-question coverage, meaning, words the KB lacks, length, language) gives the
probability that the best section is the right answer. It was fitted on the project's
labelled sets by ``eval/fit_calibration.py``, which prints the constants below; refit after
changing the features. It can only *add* answers the rules refused (agent.answer_probability).
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True)
class AnswerEvidence:
    """What the builtin agent knows about a mail and its best section (bm25 order)."""

    confidence: float  # lexical confidence of the best section
    runner_up: float  # second section's confidence / the best's (1 when there is none)
    question_min: float  # lowest confidence of a question sentence on its own (0: none)
    question_max: float  # highest confidence of a question sentence on its own
    questions: float  # question sentences, at most 3
    meaning: float  # sentence-vector similarity of the mail to the best section
    question_meaning: float  # lowest similarity of a question sentence to the best section
    unknown_share: float  # share of the mail's content words the KB lacks
    unknown: float  # content words the KB lacks, at most 8
    length: float  # log(1 + words of the customer's own text)
    english: float  # 1 for a mail in English

    def vector(self) -> tuple[float, ...]:
        return astuple(self)


FEATURES = tuple(f.name for f in fields(AnswerEvidence))
# Fitted by eval/fit_calibration.py (L2-regularised logistic regression on standardised
# features); the numbers are data, not tuning knobs.
INTERCEPT = 1.4708
MEANS = (
    0.3193, 0.6397, 0.2681, 0.3070, 1.0827, 0.2552, 0.1735, 0.4043, 3.8031, 3.0245,
    0.3401,
)
SCALES = (
    0.1832, 0.3100, 0.2219, 0.2252, 0.5475, 0.2063, 0.1904, 0.2338, 2.6940, 0.6659,
    0.4737,
)
WEIGHTS = (
    1.0404, -0.2480, 0.7081, -0.6579, 0.4853, 0.7805, -0.2594, -0.2975, 0.1481, 0.2982,
    -0.4890,
)


def answer_probability(evidence: AnswerEvidence) -> float:
    """P(the best section answers the mail), by the fitted logistic model."""
    z = INTERCEPT + sum(w * (x - m) / s for w, x, m, s
                        in zip(WEIGHTS, evidence.vector(), MEANS, SCALES, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
