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
INTERCEPT = 1.4740
MEANS = (
    0.3227, 0.6397, 0.2699, 0.3088, 1.0782, 0.2593, 0.1768, 0.3995, 3.7337, 3.0140,
    0.3504,
)
SCALES = (
    0.1852, 0.3114, 0.2234, 0.2269, 0.5493, 0.2076, 0.1915, 0.2354, 2.7046, 0.6667,
    0.4771,
)
WEIGHTS = (
    1.0328, -0.2450, 0.7114, -0.6344, 0.4931, 0.7802, -0.2799, -0.2598, 0.0871, 0.3199,
    -0.4742,
)


def answer_probability(evidence: AnswerEvidence) -> float:
    """P(the best section answers the mail), by the fitted logistic model."""
    z = INTERCEPT + sum(w * (x - m) / s for w, x, m, s
                        in zip(WEIGHTS, evidence.vector(), MEANS, SCALES, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
