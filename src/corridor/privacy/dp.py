"""Differential privacy for released figures, with OpenDP's vetted samplers.

Releases add noise to an already aggregated vector whose sensitivity follows from the
declared bounds (one person adds or removes one row; Dwork and Roth 2014, §3.3 and §A):

* Laplace: L1 sensitivity ``s``, scale ``s / epsilon``; integer vectors (counts) use
  OpenDP's discrete Laplace, so released counts stay integers.
* Gaussian: L2 sensitivity ``s``, scale ``s / sqrt(2 rho)`` for rho-zCDP (Bun and Steinke
  2016, Prop. 1.6); budgets are kept in (epsilon, delta) and converted with
  ``epsilon = rho + 2 sqrt(rho ln(1/delta))`` (ibid. Prop. 1.3).

OpenDP draws its noise from its own CSPRNG; this is the one place privacy numerics do
not take randomness as an argument, because a home-made floating-point sampler would
break the guarantee (Mironov, CCS 2012). Every measurement's privacy map is checked
against the budget it is charged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import opendp.prelude as dp

from corridor.privacy.errors import InvalidJobSpec

dp.enable_features("contrib")

_MAP_SLACK = 1e-9  # OpenDP rounds privacy maps up conservatively


def _loss(measurement: dp.Measurement, d_in: float) -> float:
    """The privacy loss OpenDP's map states for input distance ``d_in``."""
    return float(measurement.map(d_in))  # type: ignore[no-untyped-call]


def rho_for(epsilon: float, delta: float) -> float:
    """The largest rho whose zCDP guarantee implies (epsilon, delta)-DP."""
    if epsilon <= 0 or not 0 < delta < 1:
        raise InvalidJobSpec("epsilon must be positive and delta in (0, 1)")
    log_term = math.log(1 / delta)
    root = (-2 * math.sqrt(log_term) + math.sqrt(4 * log_term + 4 * epsilon)) / 2
    return root * root


def epsilon_for(rho: float, delta: float) -> float:
    """The epsilon that rho-zCDP implies at ``delta``."""
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


def laplace_release(
    values: npt.ArrayLike, *, l1_sensitivity: float, epsilon: float, integer: bool
) -> npt.NDArray[np.float64]:
    """Add (discrete) Laplace noise calibrated to ``l1_sensitivity / epsilon``."""
    if epsilon <= 0 or l1_sensitivity <= 0:
        raise InvalidJobSpec("epsilon and sensitivity must be positive")
    array = np.asarray(values, dtype=np.float64)
    scale = l1_sensitivity / epsilon
    if integer:
        measurement = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
        )
        loss = _loss(measurement, math.ceil(l1_sensitivity))
        noisy = measurement([round(float(v)) for v in array])
    else:
        measurement = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=float, nan=False)),
            dp.l1_distance(T=float),
            scale=scale,
        )
        loss = _loss(measurement, float(l1_sensitivity))
        noisy = measurement([float(v) for v in array])
    if loss > epsilon * (1 + _MAP_SLACK) + _MAP_SLACK:
        raise InvalidJobSpec(f"the Laplace mechanism costs {loss}, more than {epsilon}")
    return np.asarray(noisy, dtype=np.float64)


def gaussian_release(
    values: npt.ArrayLike, *, l2_sensitivity: float, rho: float
) -> npt.NDArray[np.float64]:
    """Add Gaussian noise with scale ``l2_sensitivity / sqrt(2 rho)`` (rho-zCDP)."""
    if rho <= 0 or l2_sensitivity <= 0:
        raise InvalidJobSpec("rho and sensitivity must be positive")
    array = np.asarray(values, dtype=np.float64)
    scale = l2_sensitivity / math.sqrt(2 * rho)
    measurement = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float), scale=scale
    )
    loss = _loss(measurement, float(l2_sensitivity))
    if loss > rho * (1 + _MAP_SLACK) + _MAP_SLACK:
        raise InvalidJobSpec(f"the Gaussian mechanism costs rho={loss}, more than {rho}")
    return np.asarray(measurement([float(v) for v in array]), dtype=np.float64)


@dataclass(frozen=True)
class Suppressed:
    """Figures after small-cell suppression: ``None`` where a cell was withheld."""

    values: list[float | None]
    suppressed: list[int]


def suppress_small_cells(counts: npt.ArrayLike, *, threshold: int) -> Suppressed:
    """Withhold every (noisy) count below ``threshold``.

    Deciding on the noisy count is post-processing, so suppression costs no budget.
    """
    values: list[float | None] = []
    suppressed: list[int] = []
    for index, count in enumerate(np.asarray(counts, dtype=np.float64)):
        if count < threshold:
            values.append(None)
            suppressed.append(index)
        else:
            values.append(float(count))
    return Suppressed(values=values, suppressed=suppressed)
