"""The demo corridor: six parties as processes on loopback and one patient's transfer.

This module runs the flow and reports each step through a callback; the CLI renders the
reports. Everything the demo does goes over HTTP to the parties, as a deployment would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from corridor.apps.evidence import EvidenceCheck, collect_evidence
from corridor.apps.launcher import PartySpec, RunningParty, demo_passphrase, operator_wallet
from corridor.clock import SystemClock
from corridor.consent import ConsentScope, ConsentTerms, sign_consent
from corridor.crypto import SigningKeyPair, did_key_from_public
from corridor.errors import CorridorError, Unavailable
from corridor.identity import (
    RequestSigner,
    SignerByOrigin,
    did_key_url,
    did_web_for_url,
    load_or_create_wallet,
    open_wallet,
)
from corridor.transfers import (
    HttpCenterClient,
    HttpHospitalClient,
    HttpPortalClient,
    PatientRequest,
)
from corridor.transport import raise_for_problem

DEMO_PARTIES: tuple[PartySpec, ...] = (
    # Each regulator licenses its side's hospital and the joint data center; regulators
    # know each other as trusted credential issuers (docs/identity.md).
    PartySpec(
        "regulator-a",
        "regulator",
        "CN",
        "Regulator A (Mainland)",
        ("datacenter", "regulator-b"),
        extra={"monitor_interval_seconds": 2.0},  # the chain monitor polls (docs/compliance.md)
        licenses=(
            ("hospital-a", "LicensedHealthcareProvider"),
            ("datacenter", "AccreditedDataCenter"),
        ),
    ),
    PartySpec(
        "regulator-b",
        "regulator",
        "HK",
        "Regulator B (Hong Kong)",
        ("datacenter", "regulator-a"),
        extra={"monitor_interval_seconds": 2.0},  # the chain monitor polls (docs/compliance.md)
        licenses=(
            ("hospital-b", "LicensedHealthcareProvider"),
            ("datacenter", "AccreditedDataCenter"),
        ),
    ),
    PartySpec(
        "datacenter",
        "datacenter",
        "JOINT",
        "Trusted joint data center",
        ("regulator-a", "regulator-b", "hospital-a", "hospital-b", "portal"),
    ),
    PartySpec(
        "hospital-a",
        "hospital",
        "CN",
        "Hospital A (Shenzhen)",
        ("regulator-a", "regulator-b", "datacenter", "hospital-b", "portal"),
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
        "hospital-b",
        "hospital",
        "HK",
        "Hospital B (Hong Kong)",
        ("regulator-b", "datacenter", "hospital-a", "portal"),
    ),
    # The portal knows the regulators only to name them on the patient's timeline.
    PartySpec(
        "portal",
        "portal",
        "CN",
        "Patient portal",
        ("hospital-a", "hospital-b", "datacenter", "regulator-a", "regulator-b"),
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
    patient_id: str = ""
    """The demo patient's number at hospital A (the desk links keys to it)."""
    checks: list[EvidenceCheck] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    evidence_dir: Path = Path()


Report = Callable[[StepReport], None]

STEP_NAMES = {
    0: "set-up",
    1: "step 1 (request)",
    2: "step 2 (filing)",
    3: "step 3 (encrypted upload)",
    4: "step 4 (processing in the enclave)",
    5: "step 5 (display at hospital B)",
    6: "proof verification",
    7: "privacy computing",  # corridor demo --privacy (apps/privacy_demo.py)
}


class DemoStepFailed(CorridorError):
    """One step of the demo failed; the message names the step, the party and the reason."""

    code = "demo-step-failed"


@contextmanager
def _step(number: int, party: str) -> Iterator[None]:
    """Name the step and party in any failure inside the block."""
    try:
        yield
    except CorridorError as exc:
        raise DemoStepFailed(
            f"{STEP_NAMES[number]} failed at {party}: {exc.message}", detail=exc.detail
        ) from exc


def _new_wallet(workdir: Path, passphrase: bytes) -> SigningKeyPair:
    """The patient's wallet (``corridor wallet`` format) on his device: a work-dir folder."""
    return load_or_create_wallet(workdir / "patient" / "wallet.json", passphrase)


def _sign_as_people(
    client: httpx.Client, parties: dict[str, RunningParty], workdir: Path, wallet: SigningKeyPair
) -> None:
    """The demo drives each party as its operator and the portal as the patient himself.

    Each request is signed (RFC 9421) with the key of the person who would make it:
    the operator key of the party it goes to, or the patient's wallet key at the portal.
    """
    clock = SystemClock()
    passphrase = demo_passphrase(workdir).encode()
    signers = {}
    for name, party in parties.items():
        key = (
            wallet if name == "portal" else open_wallet(operator_wallet(workdir, name), passphrase)
        )
        kid = did_key_url(did_key_from_public(key.public))
        signers[party.url] = RequestSigner(key, kid=kid, clock=clock)
    client.auth = SignerByOrigin(signers)


def _post(client: httpx.Client, url: str, **kwargs: Any) -> Any:
    try:
        response = client.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url} unreachable: {exc}") from exc
    raise_for_problem(response)
    return response.json()


@dataclass
class _Flow:
    """The clients a person at each party would use, and what the demo has learnt so far."""

    client: httpx.Client
    url: dict[str, str]
    report: Report
    transfer: str = ""

    @property
    def hospital_a(self) -> HttpHospitalClient:
        return HttpHospitalClient(self.client, self.url["hospital-a"])

    @property
    def hospital_b(self) -> HttpHospitalClient:
        return HttpHospitalClient(self.client, self.url["hospital-b"])

    def enrol(self, patient_file: Path, wallet: SigningKeyPair) -> str:
        """Hospital A imports the record and links the patient's wallet key (at its desk)."""
        with _step(0, "hospital-a"):
            imported = _post(
                self.client,
                f"{self.url['hospital-a']}/api/records/bundles",
                content=patient_file.read_bytes(),
                headers={"content-type": "application/fhir+json"},
            )
            patient_id = str(imported["patient_id"])
            _post(
                self.client,
                f"{self.url['hospital-a']}/api/records/patients/{patient_id}/wallet",
                json={"did": did_key_from_public(wallet.public)},
            )
        self.report(
            StepReport(
                0,
                "hospital-a",
                f"imported the patient's record ({imported['resources']} resources) "
                "and enrolled his wallet key",
            )
        )
        return patient_id

    def request(self, wallet: SigningKeyPair, patient_id: str, evidence_dir: Path) -> None:
        """Step 1: the patient signs a consent and the portal records it."""
        with _step(1, "portal"):
            signed = sign_consent(self._terms(wallet), wallet)
            evidence_dir.mkdir(parents=True, exist_ok=True)
            (evidence_dir / "consent.json").write_bytes(signed.to_bytes())
            status = HttpPortalClient(self.client, self.url["portal"]).request_transfer(
                PatientRequest(consent=signed.to_json(), patient_ref=patient_id)
            )
        self.transfer = status.transfer
        self.report(
            StepReport(
                1,
                "portal",
                "patient signed the consent (FHIR Consent, detached JWS over RFC 8785 bytes)",
                _refs(status.evidence),
                verified="consent signature by the patient's did:key",
            )
        )

    def _terms(self, wallet: SigningKeyPair) -> ConsentTerms:
        now = SystemClock().now()
        return ConsentTerms(
            patient_did=did_key_from_public(wallet.public),
            custodian_did=did_web_for_url(self.url["hospital-a"]),
            recipient_did=did_web_for_url(self.url["hospital-b"]),
            purpose="TREAT",
            scope=ConsentScope(resource_types=frozenset(DEFAULT_RESOURCE_TYPES)),
            issued_at=now - timedelta(seconds=5),
            expires_at=now + timedelta(days=30),
            retention_days=365,
            cross_border_separate_consent=True,
            sensitive_separate_consent=True,
            prescribed_consent_hk=False,
            consent_id=f"consent-{now.strftime('%Y%m%d%H%M%S')}",
        )

    def file_and_upload(self) -> None:
        """Steps 2 and 3 at hospital A."""
        with _step(2, "hospital-a"):
            filed = self.hospital_a.file(self.transfer)
        self.report(
            StepReport(
                2,
                "hospital-a",
                "filed with regulator A (CN pack) and regulator B (HK pack)",
                tuple(
                    (str(ref["type"]), int(ref["index"]))
                    for ref in filed.details.get("regulator_evidence", [])
                ),
                decision=", ".join(str(d) for d in filed.details.get("decisions", [])),
                verified="both decisions signed by the regulators",
            )
        )
        with _step(3, "hospital-a"):
            uploaded = self.hospital_a.upload(self.transfer)
        self.report(
            StepReport(
                3,
                "hospital-a",
                f"encrypted {uploaded.details.get('resources')} consented resources "
                "(AES-256-GCM) and uploaded them",
                tuple(ref for ref in _refs(uploaded.evidence) if ref[0] == "record.uploaded"),
                verified="data key sealed to the key broker (HPKE)",
            )
        )

    def process_and_display(self) -> None:
        """Steps 4 at the data center and 5 at hospital B."""
        with _step(4, "datacenter"):
            processed = HttpCenterClient(self.client, self.url["datacenter"]).process(self.transfer)
        self.report(
            StepReport(
                4,
                "datacenter",
                "enclave process attested; key released; "
                "record minimised, masked and re-encrypted for B",
                _refs(processed.evidence),
                verified="nonce-bound evidence, reference measurement, consent, both permits",
            )
        )
        with _step(5, "hospital-b"):
            received = self.hospital_b.receive(self.transfer)
            view = self.hospital_b.open_record(self.transfer, viewer="clinician-on-duty")
        self.report(
            StepReport(
                5,
                "hospital-b",
                f"decrypted {received.details.get('resources')} resources and displayed the record",
                (*_refs(received.evidence), ("record.accessed", int(view["evidence_index"]))),
                verified="attestation chain, manifest signature, output digest",
            )
        )


def _refs(evidence: list[Any]) -> tuple[tuple[str, int], ...]:
    return tuple((ref.type, ref.index) for ref in evidence)


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
    flow = _Flow(client, {name: party.url for name, party in parties.items()}, report)
    outcome = DemoOutcome(urls=flow.url, evidence_dir=workdir / "evidence")
    wallet = _new_wallet(workdir, passphrase)
    _sign_as_people(client, parties, workdir, wallet)
    patient_id = flow.enrol(patient_file, wallet)
    outcome.patient_id = patient_id
    flow.request(wallet, patient_id, outcome.evidence_dir)
    flow.file_and_upload()
    flow.process_and_display()
    outcome.transfer = flow.transfer
    with _step(6, "verifier"):
        outcome.checks = collect_evidence(
            client=client,
            log_url=flow.url["datacenter"],
            transfer=flow.transfer,
            folder=outcome.evidence_dir,
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
