from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from corridor.privacy import (
    InvalidUtilities,
    coalition_key,
    exact_shapley,
    parse_utilities,
    sampled_shapley,
)
from corridor.privacy.shapley import all_coalitions


def _table(players, value):
    return {c: value(c) for c in all_coalitions(players)}


def test_glove_game_has_its_textbook_values():
    # Left gloves a, b; right glove c; a pair is worth 1 (Osborne & Rubinstein 1994, 14.4).
    table = _table("abc", lambda s: int("c" in s and bool(s & {"a", "b"})))
    assert exact_shapley("abc", table) == {
        "a": Fraction(1, 6),
        "b": Fraction(1, 6),
        "c": Fraction(2, 3),
    }


def test_weighted_majority_games_have_their_textbook_values():
    # [51; 50, 49, 1]: the small party is as pivotal as the large runner-up (2/3, 1/6, 1/6).
    weights = {"a": 50, "b": 49, "c": 1}
    table = _table("abc", lambda s: int(sum(weights[p] for p in s) >= 51))
    assert exact_shapley("abc", table) == {
        "a": Fraction(2, 3),
        "b": Fraction(1, 6),
        "c": Fraction(1, 6),
    }
    # [4; 3, 2, 1, 1]: b, c and d are interchangeable (each wins only with a, or all three).
    weights = {"a": 3, "b": 2, "c": 1, "d": 1}
    table = _table("abcd", lambda s: int(sum(weights[p] for p in s) >= 4))
    sixth = Fraction(1, 6)
    assert exact_shapley("abcd", table) == {"a": Fraction(1, 2), "b": sixth, "c": sixth, "d": sixth}


def test_simple_majority_game_splits_equally():
    table = _table("abc", lambda s: int(len(s) >= 2))
    assert set(exact_shapley("abc", table).values()) == {Fraction(1, 3)}


def test_efficiency_symmetry_and_null_player_hold_exactly():
    rng = np.random.default_rng(5)
    players = ["p1", "p2", "p3", "p4", "p5", "p6"]
    base = {c: Fraction(int(rng.integers(0, 100)), 7) for c in all_coalitions(players[:4])}

    # p5 mirrors p4 (symmetric), p6 adds nothing anywhere (null player).
    def value(c):
        core = frozenset(p for p in c if p in players[:4])
        if "p5" in c and "p4" not in c:
            core = (core - {"p5"}) | {"p4"}
        elif "p5" in c and "p4" in c:
            return base[core] + 1
        return base[frozenset(core)]

    table = _table(players, value)
    values = exact_shapley(players, table)
    assert sum(values.values()) == table[frozenset(players)] - table[frozenset()]
    assert values["p6"] == 0
    assert values["p4"] == values["p5"]


def test_sampled_estimates_fall_within_their_stated_bound():
    players = [f"h{i:02d}" for i in range(10)]
    weights = dict(zip(players, [9, 7, 6, 4, 3, 3, 2, 1, 1, 1], strict=True))
    table = _table(players, lambda s: float(sum(weights[p] for p in s) >= 19))
    exact = exact_shapley(players, table)
    estimate = sampled_shapley(
        players,
        table.__getitem__,
        samples=3000,
        rng=np.random.default_rng(11),
        marginal_width=2.0,
        confidence=0.95,
    )
    assert 0 < estimate.error_bound < 0.1
    for player in players:
        assert abs(estimate.values[player] - float(exact[player])) <= estimate.error_bound


def test_utility_tables_must_name_every_coalition_in_canonical_form():
    good = {"": 0, "a": 1, "b": 1, "a+b": 3}
    players, _ = parse_utilities(good)
    assert players == ["a", "b"]
    assert coalition_key(frozenset({"b", "a"})) == "a+b"
    with pytest.raises(InvalidUtilities, match="coalitions have no utility"):
        parse_utilities({"": 0, "a": 1, "a+b": 3})
    with pytest.raises(InvalidUtilities, match="sorted"):
        parse_utilities({"": 0, "a": 1, "b": 1, "b+a": 3})
    with pytest.raises(InvalidUtilities, match="not a number"):
        parse_utilities({"": 0, "a": "one"})
    assert len(list(combinations("ab", 2))) == 1
