"""Shapley values of a cooperative game (Shapley 1953): exact, or by permutation sampling.

The value of player i is its average marginal contribution over all orders of arrival:

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)).

:func:`exact_shapley` evaluates that sum in exact rational arithmetic (``Fraction``), so
the axioms hold exactly: efficiency (values add up to v(N) - v(empty)), symmetry, null
player. It needs all 2^n coalition utilities and is what Corridor uses for up to
:data:`EXACT_LIMIT` players. :func:`sampled_shapley` averages marginal contributions over
``m`` random permutations (Castro, Gomez and Tejada 2009) and states an error bound from
Hoeffding's inequality: each marginal contribution lies in an interval of width ``w``, so
with probability at least ``confidence`` every estimate is within
``w * sqrt(ln(2n / (1 - confidence)) / (2m))`` of its true value (union bound over n).

Coalitions are written as the players' ids sorted ascending and joined by ``+``; the empty
coalition is the empty string.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np

from corridor.privacy.errors import InvalidUtilities

EXACT_LIMIT = 8
Coalition = frozenset[str]
Number = int | float | Fraction


def coalition_key(coalition: Iterable[str]) -> str:
    """The text form of a coalition: ids sorted ascending, joined by ``+``."""
    return "+".join(sorted(coalition))


def all_coalitions(players: Iterable[str]) -> list[Coalition]:
    """Every subset of ``players``, smallest first."""
    ordered = sorted(players)
    return [
        frozenset(subset)
        for size in range(len(ordered) + 1)
        for subset in combinations(ordered, size)
    ]


def parse_utilities(table: Mapping[str, object]) -> tuple[list[str], dict[Coalition, Fraction]]:
    """Read a ``{coalition_key: utility}`` table; every coalition must be present once."""
    players: set[str] = set()
    utilities: dict[Coalition, Fraction] = {}
    for key, value in table.items():
        members = key.split("+") if key else []
        if any(not member for member in members) or members != sorted(set(members)):
            raise InvalidUtilities(
                f"coalition {key!r} must list distinct ids sorted, joined by '+'"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidUtilities(f"the utility of {key!r} is not a number")
        if not math.isfinite(value):
            raise InvalidUtilities(f"the utility of {key!r} is not finite")
        players.update(members)
        utilities[frozenset(members)] = Fraction(value)
    missing = [coalition_key(c) for c in all_coalitions(players) if c not in utilities]
    if missing:
        raise InvalidUtilities(
            f"{len(missing)} coalitions have no utility", detail={"missing": missing[:20]}
        )
    return sorted(players), utilities


def exact_shapley(
    players: Iterable[str], utility: Mapping[Coalition, Number]
) -> dict[str, Fraction]:
    """Exact Shapley values from a complete utility table, in rational arithmetic."""
    ordered = sorted(players)
    n = len(ordered)
    if n == 0:
        return {}
    weights = [
        Fraction(math.factorial(size) * math.factorial(n - size - 1), math.factorial(n))
        for size in range(n)
    ]
    values = {player: Fraction(0) for player in ordered}
    for coalition in all_coalitions(ordered):
        base = Fraction(utility[coalition])
        for player in ordered:
            if player in coalition:
                continue
            gain = Fraction(utility[coalition | {player}]) - base
            values[player] += weights[len(coalition)] * gain
    return values


@dataclass(frozen=True)
class SampledShapley:
    """Permutation-sampling estimates and the bound they meet with ``confidence``."""

    values: dict[str, float]
    samples: int
    error_bound: float
    confidence: float


def hoeffding_bound(*, width: float, players: int, samples: int, confidence: float) -> float:
    """Half-width within which all ``players`` estimates lie with probability ``confidence``."""
    if samples < 1 or not 0 < confidence < 1:
        raise InvalidUtilities("samples must be >= 1 and confidence in (0, 1)")
    return width * math.sqrt(math.log(2 * players / (1 - confidence)) / (2 * samples))


def sampled_shapley(
    players: Iterable[str],
    utility: Callable[[Coalition], float],
    *,
    samples: int,
    rng: np.random.Generator,
    marginal_width: float,
    confidence: float = 0.95,
) -> SampledShapley:
    """Average marginal contributions over ``samples`` uniformly random permutations.

    ``marginal_width`` bounds ``max - min`` of any marginal contribution (for utilities in
    ``[lo, hi]`` it is at most ``2 * (hi - lo)``); it sets the stated error bound.
    """
    ordered = sorted(players)
    totals = dict.fromkeys(ordered, 0.0)
    cache: dict[Coalition, float] = {}

    def value(coalition: Coalition) -> float:
        if coalition not in cache:
            cache[coalition] = float(utility(coalition))
        return cache[coalition]

    for _ in range(samples):
        order = [ordered[i] for i in rng.permutation(len(ordered))]
        current: Coalition = frozenset()
        previous = value(current)
        for player in order:
            current = current | {player}
            now = value(current)
            totals[player] += now - previous
            previous = now
    return SampledShapley(
        values={player: total / samples for player, total in totals.items()},
        samples=samples,
        error_bound=hoeffding_bound(
            width=marginal_width, players=len(ordered), samples=samples, confidence=confidence
        ),
        confidence=confidence,
    )


def utility_range(utility: Mapping[Coalition, Number]) -> float:
    """Width of the marginal-contribution interval implied by a table: 2 (max - min)."""
    values = [float(v) for v in utility.values()]
    return 2 * (max(values) - min(values)) if values else 0.0
