"""The demo corridor: six parties as processes on loopback and one patient's transfer.

This module runs the flow and reports each step through a callback; the CLI renders the
reports. Everything the demo does goes over HTTP to the parties, as a deployment would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from corridor.apps.evidence import EvidenceCheck, collect_evidence
from corridor.apps.launcher import PartySpec, RunningParty
from corridor.clock import SystemClock
from corridor.consent import ConsentScope, ConsentTerms, sign_consent
from corridor.crypto import SigningKeyPair, did_key_from_public
from corridor.errors import CorridorError, Unavailable
from corridor.identity import did_web_for_url
from corridor.transfers import (
    HttpCenterClient,
    HttpHospitalClient,
    HttpPortalClient,
    PatientRequest,
)
from corridor.transport import raise_for_problem

DEMO_PARTIES: tuple[PartySpec, ...] = (
    PartySpec("regulator-a", "regulator", "CN", "Regulator A (Mainland)", ("datacenter",)),
    PartySpec("regulator-b", "regulator", "HK", "Regulator B (Hong Kong)", ("datacenter",)),
    PartySpec(
        "datacenter",
        "datacenter",
        "JOINT",
        "Trusted joint data center",
        ("regulator-a", "regulator-b", "hospital-a", "hospital-b"),
    ),
    PartySpec(
        "hospital-a",
        "hospital",
        "CN",
        "Hospital A (Shenzhen)",
        ("regulator-a", "regulator-b", "datacenter", "hospital-b"),
        extra={
            "export": {
                "mechanism": "gba_sc",
                "contract_ref": "GBA-SC-2026-0042",
                "contract_filed": True,
                "in_mainland_gba": True,
                "timezone": "Asia/Shanghai",
            }
        },
    ),
    PartySpec(
        "hospital-b", "hospital", "HK", "Hospital B (Hong Kong)", ("datacenter", "hospital-a")
    ),
    PartySpec(
        "portal", "portal", "CN", "Patient portal", ("hospital-a", "hospital-b", "datacenter")
    ),
)

DEFAULT_RESOURCE_TYPES = (
    "AllergyIntolerance",
    "Condition",
    "DiagnosticReport",
    "DocumentReference",
    "Immunization",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
)


@dataclass(frozen=True)
class StepReport:
    """What one step did, for the reader of the demo's account."""

    step: int
    party: str
    action: str
    evidence: tuple[tuple[str, int], ...] = ()
    decision: str = ""
    verified: str = ""


@dataclass
class DemoOutcome:
    """Where the demo left its artefacts and what it proved."""

    transfer: str = ""
    checks: list[EvidenceCheck] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    evidence_dir: Path = Path()


Report = Callable[[StepReport], None]


def _new_wallet(workdir: Path, passphrase: bytes) -> SigningKeyPair:
    """The patient's key, on his device (here a folder of the work directory), encrypted."""
    folder = workdir / "patient"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wallet.pem"
    if path.exists():
        return SigningKeyPair.from_encrypted_pem(path.read_bytes(), passphrase)
    key = SigningKeyPair.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.to_encrypted_pem(passphrase))
    return key


def _post(client: httpx.Client, url: str, **kwargs: Any) -> Any:
    try:
        response = client.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url} unreachable: {exc}") from exc
    raise_for_problem(response)
    return response.json()


def run_transfer(
    *,
    client: httpx.Client,
    parties: dict[str, RunningParty],
    workdir: Path,
    patient_file: Path,
    passphrase: bytes,
    report: Report,
) -> DemoOutcome:
    """Run the five steps for the patient in ``patient_file`` and verify every proof."""
    url = {name: party.url for name, party in parties.items()}
    outcome = DemoOutcome(urls=url, evidence_dir=workdir / "evidence")
    hospital_a = HttpHospitalClient(client, url["hospital-a"])
    hospital_b = HttpHospitalClient(client, url["hospital-b"])
    portal = HttpPortalClient(client, url["portal"])
    center = HttpCenterClient(client, url["datacenter"])

    imported = _post(
        client,
        f"{url['hospital-a']}/api/records/bundles",
        content=patient_file.read_bytes(),
        headers={"content-type": "application/fhir+json"},
    )
    patient_id = str(imported["patient_id"])
    wallet = _new_wallet(workdir, passphrase)
    patient_did = did_key_from_public(wallet.public)
    _post(
        client,
        f"{url['hospital-a']}/api/records/patients/{patient_id}/wallet",
        json={"did": patient_did},
    )
    report(
        StepReport(
            0,
            "hospital-a",
            f"imported the patient's record ({imported['resources']} resources) "
            "and enrolled his wallet key",
        )
    )

    now = SystemClock().now()
    terms = ConsentTerms(
        patient_did=patient_did,
        custodian_did=did_web_for_url(url["hospital-a"]),
        recipient_did=did_web_for_url(url["hospital-b"]),
        purpose="TREAT",
        scope=ConsentScope(
            resource_types=frozenset(DEFAULT_RESOURCE_TYPES), data_from=None, data_to=None
        ),
        issued_at=now - timedelta(seconds=5),
        expires_at=now + timedelta(days=30),
        retention_days=365,
        cross_border_separate_consent=True,
        sensitive_separate_consent=True,
        prescribed_consent_hk=False,
        consent_id=f"consent-{now.strftime('%Y%m%d%H%M%S')}",
    )
    signed = sign_consent(terms, wallet)
    outcome.evidence_dir.mkdir(parents=True, exist_ok=True)
    (outcome.evidence_dir / "consent.json").write_bytes(signed.to_bytes())
    status = portal.request_transfer(
        PatientRequest(consent=signed.to_json(), patient_ref=patient_id)
    )
    outcome.transfer = status.transfer
    report(
        StepReport(
            1,
            "portal",
            "patient signed the consent (FHIR Consent, detached JWS over RFC 8785 bytes)",
            tuple((e.type, e.index) for e in status.evidence),
            verified="consent signature by the patient's did:key",
        )
    )
    transfer = status.transfer

    filed = hospital_a.file(transfer)
    decisions = ", ".join(str(d) for d in filed.details.get("decisions", []))
    report(
        StepReport(
            2,
            "hospital-a",
            "filed with regulator A (CN pack) and regulator B (HK pack)",
            decision=decisions,
            verified="both decisions signed by the regulators",
        )
    )
    uploaded = hospital_a.upload(transfer)
    report(
        StepReport(
            3,
            "hospital-a",
            f"encrypted {uploaded.details.get('resources')} consented resources "
            "(AES-256-GCM) and uploaded them",
            tuple((e.type, e.index) for e in uploaded.evidence if e.type == "record.uploaded"),
            verified="data key sealed to the key broker (HPKE)",
        )
    )
    processed = center.process(transfer)
    report(
        StepReport(
            4,
            "datacenter",
            "enclave process attested; key released; "
            "record minimised, masked and re-encrypted for B",
            tuple((e.type, e.index) for e in processed.evidence),
            verified="nonce-bound evidence, reference measurement, consent, both permits",
        )
    )
    received = hospital_b.receive(transfer)
    view = hospital_b.open_record(transfer, viewer="clinician-on-duty")
    report(
        StepReport(
            5,
            "hospital-b",
            f"decrypted {received.details.get('resources')} resources and displayed the record",
            (
                *((e.type, e.index) for e in received.evidence),
                ("record.accessed", int(view["evidence_index"])),
            ),
            verified="attestation chain, manifest signature, output digest",
        )
    )
    outcome.checks = collect_evidence(
        client=client, log_url=url["datacenter"], transfer=transfer, folder=outcome.evidence_dir
    )
    report(
        StepReport(
            6,
            "verifier",
            f"verified an inclusion proof for each of the {len(outcome.checks)} evidence entries",
            tuple((c.entry_type, c.index) for c in outcome.checks),
            verified="receipts checked offline against the trust file",
        )
    )
    return outcome


def load_patient(path: Path) -> bytes:
    """Read a patient bundle; a clear error if it is not JSON."""
    data = path.read_bytes()
    try:
        json.loads(data)
    except ValueError as exc:
        raise CorridorError(f"{path} is not a JSON FHIR bundle: {exc}") from exc
    return data
