"""Coalition utilities for Shapley measurement (run inside the measuring enclave).

Pure. Two utilities, matching the job's computation:

* ``statistic-error`` (counts, sums, means, histograms): how close a coalition's exact
  answer is to the full coalition's, ``v(S) = max(0, 1 - |f(S) - f(N)|_1 / scale)`` with
  ``scale`` the bound width for means and ``|f(N)|_1`` otherwise; ``v(empty) = 0``. For
  counts this gives each hospital the share of the total it holds.
* ``validation-loss`` (logistic regression): for every round t, the drop in validation log
  loss from the global point ``w_t`` when only coalition S's gradients are used for the
  step, summed over rounds (the multi-round reconstruction of Song et al., IEEE BigData
  2019, and FedSV, Wang et al. 2020); ``v(empty) = 0``. No retraining is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corridor.privacy.computations import Statistic, coalition_totals, statistic_error_scale
from corridor.privacy.federated import LogisticRegression, log_loss
from corridor.privacy.shapley import Coalition, all_coalitions

FloatVector = npt.NDArray[np.float64]


def statistic_utilities(
    statistic: Statistic, contributions: Mapping[str, FloatVector]
) -> dict[Coalition, float]:
    """``statistic-error`` utility of every coalition."""
    players = sorted(contributions)
    full_total = coalition_totals(contributions, frozenset(players))
    assert full_total is not None
    full = statistic.exact(full_total)
    scale = statistic_error_scale(statistic, full)
    utilities: dict[Coalition, float] = {}
    for coalition in all_coalitions(players):
        total = coalition_totals(contributions, coalition)
        if total is None:
            utilities[coalition] = 0.0
            continue
        error = float(np.sum(np.abs(statistic.exact(total) - full)))
        utilities[coalition] = max(0.0, 1.0 - error / scale)
    return utilities


@dataclass(frozen=True)
class TrainingRound:
    """What the measuring enclave keeps of one round: the point and each gradient."""

    point: FloatVector
    gradients: Mapping[str, FloatVector]


def training_utilities(
    model: LogisticRegression,
    rounds: Sequence[TrainingRound],
    design: npt.NDArray[np.float64],
    labels: FloatVector,
) -> dict[Coalition, float]:
    """``validation-loss`` utility of every coalition, summed over rounds."""
    players = sorted({p for r in rounds for p in r.gradients})
    utilities = dict.fromkeys(all_coalitions(players), 0.0)
    for training_round in rounds:
        base = log_loss(training_round.point, design, labels)
        for coalition in utilities:
            members = [p for p in sorted(coalition) if p in training_round.gradients]
            if not members:
                continue
            total = np.sum([training_round.gradients[p] for p in members], axis=0)
            rows = max(float(total[-1]), 1.0)
            penalty = model.l2 * training_round.point
            penalty[-1] = 0.0
            stepped = training_round.point - model.learning_rate * (total[:-1] + penalty) / rows
            utilities[coalition] += base - log_loss(stepped, design, labels)
    return utilities
