"""Decisions per second of the policy packs: one at a time and batched (target: 5,000/s).

Workloads, all on one thread (so "per core"), timed by CPU time of this process:

* ``stream``: a regulator's day: transfers from a few handlers under the shared
  scenarios, each with its own year-to-date counts (rising as the day goes on), consents
  and emergency flags; the pack's answer cache starts empty.
* ``cold``: every decision on facts no earlier decision shares (random booleans, counts
  that cross thresholds), with the answer cache cleared first: Cedar evaluates every one.

Baseline, in the same run: the bare Cedar engine (``cedarpy.is_authorized_batch``) on the
same two requests per decision, already built, without Corridor's explanation work.
Prints one JSON object per measurement, then the ratios.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import cedarpy

from corridor.compliance import Facts, PolicyPack, evaluate, evaluate_batch, load_packs
from corridor.compliance.engine import context_of

_AS_OF = date(2026, 11, 28)
_SCENARIOS = Path(__file__).parents[1] / "tests" / "assets" / "compliance" / "scenarios.json"
_BATCH = 1000
_CONSENTS = ["cn_separate_cross_border", "cn_separate_sensitive", "cn_guardian", "hk_prescribed"]


def _stream(count: int, rng: random.Random) -> list[tuple[str, Facts]]:
    scenarios = json.loads(_SCENARIOS.read_text(encoding="utf-8"))["scenarios"]
    ytd = {"CN": 0, "HK": 0, "EU": 0}
    items = []
    for _ in range(count):
        scenario = rng.choice(scenarios)
        pack = scenario["pack"]
        ytd[pack] += rng.choice([0, 1, 1, 1, 3])
        values = dict(scenario["input"])
        values["ytd_sensitive_individuals"] = values.get("ytd_sensitive_individuals", 0) + ytd[pack]
        values["ytd_general_individuals"] = values.get("ytd_general_individuals", 0) + ytd[pack]
        # Per-transfer variation: a missing consent, a child, a notice not yet given.
        if rng.random() < 0.1:
            values["consents"] = [c for c in values.get("consents", []) if rng.random() < 0.5]
        if rng.random() < 0.05:
            values["minors_under_14"] = True
        if rng.random() < 0.03:
            values["notice_given"] = False
        items.append((pack, Facts.model_validate(values)))
    return items


def _cold(count: int, rng: random.Random) -> list[tuple[str, Facts]]:
    booleans = [name for name, value in Facts().model_dump().items() if isinstance(value, bool)]
    items = []
    for _ in range(count):
        values: dict[str, Any] = {name: rng.random() < 0.5 for name in booleans}
        values.update(
            consents=[c for c in _CONSENTS if rng.random() < 0.5],
            mechanism=rng.choice(["none", "cn_sc", "gba_sc", "cn_security_assessment"]),
            ytd_general_individuals=rng.choice([10, 150_000, 2_000_000]),
            ytd_sensitive_individuals=rng.choice([10, 20_000]),
            working_days_since_sc_effective=rng.choice([1, 20]),
        )
        items.append(("CN", Facts.model_validate(values)))
    return items


def _timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.process_time()
    done = run()
    return time.process_time() - start, done


def _single(packs: dict[str, PolicyPack], items: list[tuple[str, Facts]]) -> int:
    for code, facts in items:
        evaluate(packs[code], facts, as_of=_AS_OF)
    return len(items)


def _batched(packs: dict[str, PolicyPack], items: list[tuple[str, Facts]]) -> int:
    for start in range(0, len(items), _BATCH):
        chunk = items[start : start + _BATCH]
        for code in {code for code, _ in chunk}:
            evaluate_batch(packs[code], [f for c, f in chunk if c == code], as_of=_AS_OF)
    return len(items)


def _cedar_floor(pack: PolicyPack, items: list[tuple[str, Facts]]) -> Callable[[], int]:
    spec = pack.roles["export"]
    contexts = [context_of(pack, facts, _AS_OF) for _, facts in items]
    requests = [
        {
            "principal": {"type": "XB::Handler", "id": "handler"},
            "action": {"type": "XB::Action", "id": action},
            "resource": {"type": "XB::Transfer", "id": "transfer"},
            "context": context,
        }
        for context in contexts
        for action in (spec.gate, spec.advise)
    ]
    entities = cedarpy.Entities.from_json_str("[]")

    def run() -> int:
        for start in range(0, len(requests), 2 * _BATCH):
            cedarpy.is_authorized_batch(
                requests[start : start + 2 * _BATCH], pack.policies, entities, schema=pack.schema
            )
        return len(requests) // 2

    return run


def _clear(packs: dict[str, PolicyPack]) -> None:
    for pack in packs.values():
        pack.answers.clear()


def main() -> None:
    rng = random.Random(20261128)
    packs = dict(load_packs().packs)
    results: dict[str, float] = {}

    def measure(name: str, run: Callable[[], int]) -> None:
        _clear(packs)
        seconds, done = _timed(run)
        rate = done / seconds
        results[name] = rate
        evaluated = sum(len(pack.answers) for pack in packs.values())
        print(
            json.dumps(
                {
                    "measure": name,
                    "decisions": done,
                    "cpu_seconds": round(seconds, 3),
                    "per_second": round(rate),
                    "contexts_evaluated_by_cedar": evaluated,
                }
            )
        )

    stream = _stream(20_000, rng)
    cold = _cold(3_000, rng)
    measure("stream_single", lambda: _single(packs, stream))
    measure("stream_batched", lambda: _batched(packs, stream))
    measure("cold_single", lambda: _single(packs, cold))
    measure("cold_batched", lambda: _batched(packs, cold))
    measure("cold_cedar_floor", _cedar_floor(packs["CN"], cold))
    ratios = {
        "stream_batched_vs_target_5000": round(results["stream_batched"] / 5000, 2),
        "stream_batched_vs_single": round(results["stream_batched"] / results["stream_single"], 2),
        "cold_batched_vs_cedar_floor": round(
            results["cold_batched"] / results["cold_cedar_floor"], 2
        ),
        "cold_batched_vs_single": round(results["cold_batched"] / results["cold_single"], 2),
    }
    print(json.dumps({"ratios": ratios}))


if __name__ == "__main__":
    main()
