"""Federated logistic regression: local gradients at each hospital, noisy steps centrally.

Pure numpy. Each round the coordinator sends the point at which to evaluate the gradient
(Nesterov's look-ahead ``w + momentum * velocity``); each hospital returns, securely
aggregated with the others', ``[sum of per-example gradients clipped to L2 norm C,
number of rows]``. The coordinator adds Gaussian noise to the gradient sum (one patient
moves it by at most ``C`` in L2 norm, so the round is rho-zCDP with scale
``C / sqrt(2 rho)``; Abadi et al., CCS 2016, §3.1 for clipping), releases the row count
once with a small share of the budget, and takes a momentum step on the regularised mean
loss. zCDP composes by adding rho (Bun and Steinke 2016, Lemma 2.3). The released model
is the average of the second half of the iterates (Polyak-Ruppert averaging damps the
injected noise).

This is FedSGD: one local full-batch gradient per round. It is chosen over multi-step
FedAvg because its record-level sensitivity is exactly the clip norm; FedAvg's local
training has no comparably simple bound.

Features are scaled to [0, 1] with the *declared* bounds (clamped), plus a bias term.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corridor.privacy.computations import MAX_ROWS_PER_PARTY
from corridor.privacy.dp import gaussian_release
from corridor.privacy.errors import InvalidJobSpec
from corridor.privacy.facts import Coding, PatientFacts

COUNT_SHARE = 0.05
"""Share of a training job's rho spent once on the number of rows."""
FloatVector = npt.NDArray[np.float64]
FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Feature:
    """One model input: an observation (or component) value with declared bounds."""

    observation: Coding
    component: Coding | None
    bounds: tuple[float, float]
    name: str = ""


@dataclass(frozen=True)
class LogisticRegression:
    """A federated logistic-regression computation and its training settings."""

    features: tuple[Feature, ...]
    label: Coding
    rounds: int = 40
    learning_rate: float = 4.0
    momentum: float = 0.9
    clip: float = 1.0
    l2: float = 1.0
    kind: str = "logistic-regression"

    @property
    def length(self) -> int:
        """Gradient (features + bias) and the row count."""
        return len(self.features) + 2

    def max_abs(self) -> float:
        """Largest entry of a hospital's vector (gradients are clipped; rows are capped)."""
        return max(self.clip, 1.0) * MAX_ROWS_PER_PARTY

    def design(self, raw: FloatMatrix) -> FloatMatrix:
        """Scale raw feature values to [0, 1] by the declared bounds and add the bias."""
        lows = np.array([f.bounds[0] for f in self.features])
        highs = np.array([f.bounds[1] for f in self.features])
        scaled = np.clip((raw - lows) / (highs - lows), 0.0, 1.0)
        return np.hstack([scaled, np.ones((raw.shape[0], 1))])

    def validation_design(self, validation: Mapping[str, Any]) -> FloatMatrix:
        """The design matrix of a validation set ``{"names", "features", "labels"}``.

        Columns are picked by feature name when the set names its columns.
        """
        raw = np.asarray(validation["features"], dtype=np.float64)
        names = validation.get("names")
        if names is not None:
            columns = list(names)
            try:
                raw = raw[:, [columns.index(f.name) for f in self.features]]
            except ValueError as exc:
                raise InvalidJobSpec("the validation set lacks a feature of the model") from exc
        return self.design(raw)

    def rows(self, patients: Sequence[PatientFacts]) -> tuple[FloatMatrix, FloatVector]:
        """Design matrix and labels of the patients that have every feature."""
        table: list[list[float]] = []
        labels: list[float] = []
        for patient in patients:
            values = [patient.values.get((f.observation, f.component)) for f in self.features]
            if any(v is None or not math.isfinite(v) for v in values):
                continue
            table.append([float(v) for v in values if v is not None])
            labels.append(float(self.label in patient.conditions))
        raw = np.array(table, dtype=np.float64).reshape(len(table), len(self.features))
        return self.design(raw), np.array(labels)


def parse_logistic(value: Mapping[str, Any]) -> LogisticRegression:
    """Parse a ``logistic-regression`` computation."""
    try:
        features = tuple(
            Feature(
                Coding.from_json(item["observation"]),
                Coding.from_json(item["component"]) if item.get("component") else None,
                (float(item["bounds"][0]), float(item["bounds"][1])),
                str(item.get("name", "")),
            )
            for item in value["features"]
        )
        model = LogisticRegression(
            features=features,
            label=Coding.from_json(value["label"]["condition"]),
            rounds=int(value.get("rounds", 40)),
            learning_rate=float(value.get("learning_rate", 4.0)),
            momentum=float(value.get("momentum", 0.9)),
            clip=float(value.get("clip", 1.0)),
            l2=float(value.get("l2", 1.0)),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidJobSpec(f"logistic regression is incomplete: {exc}") from exc
    if not features or any(not f.bounds[0] < f.bounds[1] for f in features):
        raise InvalidJobSpec("features need bounds with lo < hi")
    if not 1 <= model.rounds <= 500 or model.clip <= 0 or not 0 <= model.momentum < 1:  # noqa: PLR2004
        raise InvalidJobSpec("rounds in 1..500, clip > 0 and momentum in [0, 1)")
    return model


def sigmoid(z: FloatVector) -> FloatVector:
    """The logistic function, computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -z))


def local_gradient(
    weights: FloatVector, design: FloatMatrix, labels: FloatVector, *, clip: float
) -> FloatVector:
    """``[sum of per-example log-loss gradients clipped to L2 norm clip, rows]``."""
    if design.shape[0] == 0:
        return np.zeros(weights.size + 1)
    per_example = (sigmoid(design @ weights) - labels)[:, None] * design
    norms = np.linalg.norm(per_example, axis=1)
    per_example *= np.minimum(1.0, clip / np.maximum(norms, 1e-12))[:, None]
    return np.append(per_example.sum(axis=0), float(design.shape[0]))


def log_loss(weights: FloatVector, design: FloatMatrix, labels: FloatVector) -> float:
    """Mean logistic loss (natural log)."""
    z = design @ weights
    return float(np.mean(np.logaddexp(0.0, z) - labels * z))


def accuracy(weights: FloatVector, design: FloatMatrix, labels: FloatVector) -> float:
    """Share of rows classified correctly at threshold 0.5."""
    return float(np.mean((design @ weights > 0) == (labels > 0.5)))  # noqa: PLR2004


@dataclass
class FederatedTrainer:
    """The coordinator's model state across rounds (momentum, averaging, noise)."""

    model: LogisticRegression
    rho_total: float
    """The whole job's zCDP budget, spread over the count and every round."""
    rows: float | None = None
    weights: FloatVector = field(init=False)
    velocity: FloatVector = field(init=False)
    average: FloatVector = field(init=False)
    averaged: int = 0
    round: int = 0

    def __post_init__(self) -> None:
        size = len(self.model.features) + 1
        self.weights = np.zeros(size)
        self.velocity = np.zeros(size)
        self.average = np.zeros(size)

    def query_point(self) -> FloatVector:
        """Where hospitals evaluate their gradient this round (Nesterov look-ahead)."""
        return self.weights + self.model.momentum * self.velocity

    def absorb(self, total: FloatVector) -> FloatVector:
        """Add DP noise to the aggregated ``[gradient sum, rows]`` and step; returns it noisy.

        The row count is released once, in the first round, with ``COUNT_SHARE`` of the
        job's rho and reused afterwards (post-processing); every round's gradient sum gets
        the rest of its share with L2 sensitivity ``clip``.
        """
        if self.rows is None:
            count = gaussian_release(
                total[-1:], l2_sensitivity=1.0, rho=COUNT_SHARE * self.rho_total
            )
            self.rows = max(float(count[0]), 1.0)
        gradient = gaussian_release(
            total[:-1],
            l2_sensitivity=self.model.clip,
            rho=(1 - COUNT_SHARE) * self.rho_total / self.model.rounds,
        )
        point = self.query_point()
        penalty = self.model.l2 * point
        penalty[-1] = 0.0  # the bias is not regularised
        step = (gradient + penalty) / self.rows
        self.velocity = self.model.momentum * self.velocity - self.model.learning_rate * step
        self.weights = self.weights + self.velocity
        self.round += 1
        if self.round > self.model.rounds // 2:
            self.average += self.weights
            self.averaged += 1
        return np.append(gradient, self.rows)

    def released_weights(self) -> FloatVector:
        """The averaged model (the last iterate until averaging has started)."""
        return self.average / self.averaged if self.averaged else self.weights.copy()
