"""The privacy program, as it runs INSIDE the enclave process (measured into PCR0).

It opens inputs sealed to this enclave, sums them (``aggregate``) or only keeps them for
measurement (``record``), and at the end of a job computes every coalition's utility and
the Shapley values (``measure``), releasing only those values, the full and empty
coalitions' utilities and each party's update size and norm. Inputs live only in this
process's memory and are dropped once the job is measured (or ``forget`` is called).
Every answer carries a manifest signed with the attested manifest key over the digest of
the result, so the host cannot alter what the enclave said.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from corridor.crypto.canonical import b64url_encode, canonical_json
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.enclave.interfaces import EnclaveRuntime
from corridor.privacy.enclave_mode import (
    ENCLAVE_MANIFEST_TYPE,
    contribution_info,
    manifest_message,
)
from corridor.privacy.errors import ProtocolViolation
from corridor.privacy.federated import LogisticRegression
from corridor.privacy.fixedpoint import RingVector, ring_from_bytes, ring_sum
from corridor.privacy.measurement import codec_for
from corridor.privacy.shapley import EXACT_LIMIT, exact_shapley, sampled_shapley
from corridor.privacy.spec import parse_job_spec
from corridor.privacy.utilities import TrainingRound, statistic_utilities, training_utilities

_SAMPLED_PERMUTATIONS = 2000
# job -> round -> participant -> ring vector; round points for training jobs.
_INPUTS: dict[str, dict[int, dict[str, RingVector]]] = {}
_POINTS: dict[str, dict[int, list[float]]] = {}


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ProtocolViolation("expected base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed(runtime: EnclaveRuntime, op: str, job: str, result: dict[str, Any]) -> dict[str, Any]:
    manifest = {
        "type": ENCLAVE_MANIFEST_TYPE,
        "op": op,
        "job": job,
        "measurement": f"sha384:{runtime.measurement}",
        "output_digest": "sha256:" + sha256_hex(canonical_json(result)),
    }
    signature = runtime.sign_manifest(manifest_message(manifest))
    return {"result": result, "manifest": manifest, "signature": b64url_encode(signature)}


def _open_inputs(job: Mapping[str, Any], runtime: EnclaveRuntime) -> dict[str, RingVector]:
    name, round_number, length = str(job["job"]), int(job["round"]), int(job["length"])
    opened: dict[str, RingVector] = {}
    for participant, sealed in dict(job["contributions"]).items():
        try:
            plain = runtime.open_sealed(
                _b64(sealed), contribution_info(name, round_number, participant)
            )
        except CryptoError as exc:
            raise ProtocolViolation(f"the input of {participant} does not open") from exc
        opened[participant] = ring_from_bytes(plain, length=length)
    _INPUTS.setdefault(name, {})[round_number] = opened
    if job.get("point") is not None:
        _POINTS.setdefault(name, {})[round_number] = [float(v) for v in job["point"]]
    return opened


def _measure(job: Mapping[str, Any]) -> dict[str, Any]:
    spec = parse_job_spec(job["spec"])
    codec = codec_for(spec)
    rounds = _INPUTS.pop(spec.job, {})
    points = _POINTS.pop(spec.job, {})
    if not rounds:
        raise ProtocolViolation("no inputs were recorded for this job")
    decoded = {
        r: {p: codec.decode(v) for p, v in inputs.items()} for r, inputs in sorted(rounds.items())
    }
    players = sorted({p for inputs in decoded.values() for p in inputs})
    parameters: dict[str, dict[str, Any]] = {}
    if isinstance(spec.computation, LogisticRegression):
        validation = job["validation"]
        design = spec.computation.validation_design(validation)
        labels = np.asarray(validation["labels"], dtype=np.float64)
        history = [
            TrainingRound(point=np.asarray(points[r]), gradients=decoded[r])
            for r in sorted(decoded)
        ]
        utilities = training_utilities(spec.computation, history, design, labels)
        for player in players:
            norms = [
                float(np.linalg.norm(g[player][:-1]) / max(float(g[player][-1]), 1.0))
                for g in decoded.values()
                if player in g
            ]
            parameters[player] = {
                "size": len(spec.computation.features) + 1,
                "norm": round(float(np.mean(norms)), 6) if norms else 0.0,
            }
    else:
        last = decoded[max(decoded)]
        utilities = statistic_utilities(spec.computation, last)
        parameters = {p: {"size": spec.computation.length, "norm": None} for p in players}
    full, empty = utilities[frozenset(players)], utilities[frozenset()]
    if len(players) <= EXACT_LIMIT:
        values = {p: float(v) for p, v in exact_shapley(players, utilities).items()}
        exact, bound = True, None
    else:
        sampled = sampled_shapley(
            players,
            utilities.__getitem__,
            samples=_SAMPLED_PERMUTATIONS,
            rng=np.random.default_rng(int.from_bytes(os.urandom(16), "big")),
            marginal_width=2 * (max(utilities.values()) - min(utilities.values())),
        )
        values, exact, bound = sampled.values, False, sampled.error_bound
    return {
        "shapley": {p: round(v, 9) for p, v in values.items()},
        "utility_full": round(float(full), 9),
        "utility_empty": round(float(empty), 9),
        "exact": exact,
        "error_bound": bound,
        "parameters": parameters,
    }


def run(job: dict[str, Any], runtime: EnclaveRuntime) -> dict[str, Any]:
    """Entry point the enclave process calls for each job."""
    op = job.get("op")
    name = str(job.get("job", ""))
    if op == "aggregate":
        opened = _open_inputs(job, runtime)
        total = ring_sum([opened[p] for p in sorted(opened)])
        result = {
            "total": b64url_encode(np.asarray(total, dtype="<u8").tobytes()),
            "round": int(job["round"]),
        }
        return _signed(runtime, "aggregate", name, result)
    if op == "record":
        opened = _open_inputs(job, runtime)
        return _signed(
            runtime, "record", name, {"recorded": sorted(opened), "round": int(job["round"])}
        )
    if op == "measure":
        return _signed(runtime, "measure", name, _measure(job))
    if op == "forget":
        _INPUTS.pop(name, None)
        _POINTS.pop(name, None)
        return _signed(runtime, "forget", name, {"forgotten": name})
    raise ProtocolViolation(f"unknown privacy enclave operation {op!r}")
