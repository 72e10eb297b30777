import json

import numpy as np

from corridor.privacy.datasets import breast_cancer, row_bundle, split_rows, validation_split
from corridor.privacy.facts import patient_facts
from corridor.records import parse_bundle


def test_wdbc_ships_offline_and_holds_out_every_fifth_row():
    table = breast_cancer()
    assert table.features.shape == (569, 30)
    assert int(table.labels.sum()) == 212  # malignant rows (WDBC documentation)
    train, held = validation_split(table)
    assert len(held.labels) == 114
    assert not set(train.indices) & set(held.indices)


def test_splits_cover_every_row_once_evenly_or_skewed():
    train, _ = validation_split(breast_cancer())
    for parts in (3, 6):
        for how in ("even", "skewed"):
            split = split_rows(train, parts, how=how, rng=np.random.default_rng(1))
            rows = np.concatenate([p.indices for p in split])
            assert sorted(rows) == sorted(train.indices)
            sizes = [len(p.labels) for p in split]
            assert (max(sizes) - min(sizes) <= 1) == (how == "even")


def test_rows_become_valid_fhir_that_facts_read_back():
    table = breast_cancer()
    malignant = int(np.flatnonzero(table.labels == 1)[0])
    bundle = parse_bundle(json.dumps(row_bundle(table, malignant)).encode())
    facts = patient_facts(entry["resource"] for entry in bundle["entry"])
    assert len(facts.values) == 30
    assert facts.conditions
