"""De-identification throughput: the HIPAA sample configuration on the shared Synthea bundles.

    .venv/bin/python benchmarks/deid.py [--rounds 7] [--data ../shared/data/fhir]

Baseline, measured in the same run on the same bytes: a plain JSON parse and dump
(``json.loads`` then ``json.dumps``), the floor of any tool that reads and writes FHIR
JSON. Then the engine: parse, apply Microsoft's HIPAA Safe Harbor sample configuration
(193 rules, ``configs/r4-hipaa-safe-harbor-configuration-sample.json``), dump. Both run
single-threaded in this process, interleaved, ``--rounds`` times. Rates are per core: the
process's CPU time (``time.process_time``), so other work on a shared machine does not
count against them; wall-clock seconds are printed too. Each figure is the best round.
One JSON line per measurement; the ratio comes last. Target: at least 2,000 resources per
second per core.
Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date
from pathlib import Path

from corridor.records.deid import Anonymizer, load_config, read_config_json

_ROOT = Path(__file__).resolve().parents[1]
_CONFIG = _ROOT / "tests/assets/fhir-anon/configs/r4-hipaa-safe-harbor-configuration-sample.json"
_AT = date(2025, 9, 5)
_TARGET = 2000.0


def _bundles(data: Path) -> list[bytes]:
    files = sorted(data.glob("synthea*/*.json"))
    if not files:
        raise SystemExit(f"no Synthea bundles under {data}")
    return [path.read_bytes() for path in files]


def _baseline(raws: list[bytes]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for raw in raws:
        json.dumps(json.loads(raw))
    return time.process_time() - cpu, time.perf_counter() - wall


def _deidentify(engine: Anonymizer, raws: list[bytes]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for raw in raws:
        json.dumps(engine.anonymize_in_place(json.loads(raw), at=_AT).resource)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    """Run the benchmark and print its JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--data", type=Path, default=_ROOT.parent / "shared/data/fhir")
    args = parser.parse_args()
    raws = _bundles(args.data)
    resources = sum(len(json.loads(raw).get("entry", [])) for raw in raws)
    config = load_config(read_config_json(_CONFIG.read_bytes()))
    engine = Anonymizer(config, rng=random.Random(0))  # noise only, no secrets
    _deidentify(engine, raws[:1])  # warm the type and rule caches
    base, deid = [], []
    for _ in range(args.rounds):
        base.append(_baseline(raws))
        deid.append(_deidentify(engine, raws))
    (base_cpu, base_wall), (deid_cpu, deid_wall) = min(base), min(deid)  # best by CPU time
    print(json.dumps({"bundles": len(raws), "resources": resources, "rules": len(config.rules)}))
    print(
        json.dumps(
            {
                "measure": "json parse + dump (baseline)",
                "cpu_seconds": round(base_cpu, 3),
                "wall_seconds": round(base_wall, 3),
                "resources_per_second_per_core": round(resources / base_cpu),
            }
        )
    )
    rate = resources / deid_cpu
    print(
        json.dumps(
            {
                "measure": "parse + HIPAA sample de-identification + dump",
                "cpu_seconds": round(deid_cpu, 3),
                "wall_seconds": round(deid_wall, 3),
                "resources_per_second_per_core": round(rate),
                "target_per_core": _TARGET,
                "meets_target": rate >= _TARGET,
            }
        )
    )
    print(
        json.dumps(
            {"ratio": "de-identification / baseline", "times": round(deid_cpu / base_cpu, 1)}
        )
    )


if __name__ == "__main__":
    main()
