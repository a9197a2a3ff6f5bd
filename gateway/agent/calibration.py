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
INTERCEPT = 1.4910
MEANS = (
    0.3337, 0.6329, 0.2819, 0.3137, 1.0341, 0.2723, 0.1886, 0.3848, 3.5647, 2.9903,
    0.3849,
)
SCALES = (
    0.1932, 0.3108, 0.2302, 0.2324, 0.5400, 0.2128, 0.1993, 0.2392, 2.7459, 0.6785,
    0.4866,
)
WEIGHTS = (
    1.0595, -0.2450, 0.6017, -0.4885, 0.4149, 0.7610, -0.2471, -0.2621, 0.0786, 0.2921,
    -0.4729,
)


def answer_probability(evidence: AnswerEvidence) -> float:
    """P(the best section answers the mail), by the fitted logistic model."""
    z = INTERCEPT + sum(w * (x - m) / s for w, x, m, s
                        in zip(WEIGHTS, evidence.vector(), MEANS, SCALES, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
