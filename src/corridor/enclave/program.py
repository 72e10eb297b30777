"""The transfer job, as it runs INSIDE the enclave process (blueprint §6, step 4).

Unwrap the data key (the deposit hospital A sealed to this program's deposit key, opened
with the capability the key broker released to this enclave), decrypt the record, validate
the FHIR bundle, keep only the consented scope, apply the destination's de-identification
profile and build the patient summary document (``corridor.records.delivery``),
re-encrypt the result for hospital B and sign a processing manifest with the attested
manifest key; the manifest carries the profile's digest.
Plaintext and keys exist only in local variables of this process.

Job (JSON; binary fields base64url, padded or not, standard alphabet also accepted):
``{"transfer", "ciphertext", "aad", "sealed_deposit", "sealed_capability", "scope",
"recipient_did", "recipient_agreement_key", "consent_digest", "profile"}``. Result: ``{"output",
"output_aad", "sealed_output_key", "manifest", "manifest_signature"}`` (base64url).
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from corridor.consent import ConsentScope
from corridor.crypto.canonical import b64url_encode, canonical_json, parse_json
from corridor.crypto.envelopes import aead_open, aead_seal, hpke_seal, new_data_key
from corridor.crypto.errors import CryptoError
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import x25519_public_from_raw
from corridor.enclave.deposit import unwrap_deposit
from corridor.enclave.errors import JobRejected
from corridor.enclave.interfaces import EnclaveRuntime
from corridor.enclave.manifest import MANIFEST_TYPE, manifest_bytes
from corridor.errors import CorridorError
from corridor.records import (
    PROFILE_NAMES,
    extract_consented,
    parse_bundle,
    prepare_for_recipient,
)

PROGRAM_MODULE = (
    "corridor.enclave.program"  # what the data center's simulated backend launches and measures
)
OUTPUT_INFO = b"corridor/output/v1|"  # enclave -> recipient (HPKE info prefix)
PROFILES = PROFILE_NAMES
_JOB_FIELDS = frozenset(
    {
        "transfer",
        "ciphertext",
        "aad",
        "sealed_deposit",
        "sealed_capability",
        "scope",
        "recipient_did",
        "recipient_agreement_key",
        "consent_digest",
        "profile",
    }
)


class RecordProcessor(Protocol):
    """The record operations the job needs (``corridor.records`` and ``corridor.consent``)."""

    def parse_bundle(self, data: bytes) -> dict[str, Any]:
        """Parse and validate a FHIR R4 Bundle."""
        ...

    def parse_scope(self, value: Any) -> Any:
        """Parse the consent scope JSON."""
        ...

    def extract_consented(self, bundle: dict[str, Any], scope: Any) -> dict[str, Any]:
        """Keep only the consented resources; returns the reduced bundle."""
        ...

    def prepare_for_recipient(
        self, bundle: dict[str, Any], profile: str
    ) -> tuple[dict[str, Any], int, str]:
        """Apply the named profile and build the summary document.

        Returns the document, how many fields were changed and the profile's digest.
        """
        ...


class CorridorRecords:
    """:class:`RecordProcessor` backed by ``corridor.records`` and ``corridor.consent``."""

    def parse_bundle(self, data: bytes) -> dict[str, Any]:
        """Delegate to ``corridor.records.parse_bundle`` (FHIR R4 validation)."""
        return parse_bundle(data)

    def parse_scope(self, value: Any) -> ConsentScope:
        """Delegate to ``ConsentScope.from_json``."""
        return ConsentScope.from_json(value)

    def extract_consented(self, bundle: dict[str, Any], scope: Any) -> dict[str, Any]:
        """Delegate to ``corridor.records.extract_consented``."""
        if not isinstance(scope, ConsentScope):
            raise JobRejected("the consent scope was not parsed")
        return extract_consented(bundle, scope).bundle

    def prepare_for_recipient(
        self, bundle: dict[str, Any], profile: str
    ) -> tuple[dict[str, Any], int, str]:
        """Delegate to ``corridor.records.prepare_for_recipient``.

        The enclave's clock dates the summary and evaluates the "age over 89" rule; the
        pseudonym keys are fresh for each job, so pseudonyms do not link transfers.
        """
        prepared = prepare_for_recipient(
            bundle, profile=profile, at=datetime.now(UTC), rng=random.SystemRandom()
        )
        return prepared.document, prepared.changed, prepared.profile_digest


def output_aad(*, transfer: str, consent_digest: str, recipient: str) -> bytes:
    """Associated data of the output ciphertext: what hospital B must check it against."""
    return canonical_json(
        {"transfer": transfer, "consent": consent_digest, "recipient": recipient, "kind": "output"}
    )


def run(job: dict[str, Any], runtime: EnclaveRuntime) -> dict[str, Any]:
    """Entry point the enclave process calls for each job."""
    return process_transfer(job, runtime=runtime, records=CorridorRecords())


def _b64(job: Mapping[str, Any], name: str) -> bytes:
    value = job[name]
    if not isinstance(value, str):
        raise JobRejected(f"job field {name!r} must be a base64 string")
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JobRejected(f"job field {name!r} is not valid base64") from exc


def _text(job: Mapping[str, Any], name: str) -> str:
    value = job[name]
    if not isinstance(value, str) or not value or len(value) > 512:  # noqa: PLR2004
        raise JobRejected(f"job field {name!r} must be a non-empty string")
    return value


def _check_input_binding(aad: bytes, *, transfer: str, consent: str, recipient: str) -> None:
    # When the sender's AAD is Corridor's JSON binding, it must name this very transfer,
    # consent and recipient: a ciphertext cannot be replayed into another transfer's job.
    try:
        binding = parse_json(aad)
    except CryptoError:
        return
    if not isinstance(binding, dict):
        return
    expected = {"transfer": transfer, "consent": consent, "recipient": recipient}
    for key, value in expected.items():
        if key in binding and binding[key] != value:
            raise JobRejected(f"the record's associated data names another {key}")


def process_transfer(
    job: Mapping[str, Any], *, runtime: EnclaveRuntime, records: RecordProcessor
) -> dict[str, Any]:
    """Run the transfer job; raises :class:`JobRejected` (never leaking plaintext) on bad input."""
    missing = sorted(_JOB_FIELDS - set(job))
    unknown = sorted(set(job) - _JOB_FIELDS)
    if missing or unknown:
        raise JobRejected(f"job fields: missing {missing}, unknown {unknown}")
    transfer = _text(job, "transfer")
    recipient = _text(job, "recipient_did")
    consent_digest = _text(job, "consent_digest")
    profile = _text(job, "profile")
    if profile not in PROFILES:
        raise JobRejected(f"unknown processing profile {profile!r}")
    ciphertext, aad = _b64(job, "ciphertext"), _b64(job, "aad")
    _check_input_binding(aad, transfer=transfer, consent=consent_digest, recipient=recipient)
    try:
        deposit = unwrap_deposit(
            opener=runtime,
            transfer=transfer,
            sealed_deposit=_b64(job, "sealed_deposit"),
            released_capability=_b64(job, "sealed_capability"),
        )
        # Output goes only to the key hospital A sealed into the deposit (docs/enclave.md).
        if deposit.recipient_key != _b64(job, "recipient_agreement_key"):
            raise JobRejected("the recipient key is not the one hospital A named")
        recipient_key = x25519_public_from_raw(deposit.recipient_key)
        plaintext = aead_open(deposit.data_key, ciphertext, aad)
    except CryptoError as exc:
        raise JobRejected(f"cannot open the record: {exc.message}") from exc
    try:
        scope = records.parse_scope(job["scope"])
        bundle = records.parse_bundle(plaintext)
        minimised = records.extract_consented(bundle, scope)
        masked_bundle, masked, profile_digest = records.prepare_for_recipient(minimised, profile)
    except CorridorError as exc:
        raise JobRejected(f"record refused: {exc.message}", detail={"cause": exc.code}) from exc
    counts = Counter(
        str(entry.get("resource", {}).get("resourceType", "unknown"))
        for entry in masked_bundle.get("entry", [])
        if isinstance(entry, dict)
    )
    output_key = new_data_key()
    out_aad = output_aad(transfer=transfer, consent_digest=consent_digest, recipient=recipient)
    output = aead_seal(output_key, canonical_json(masked_bundle), out_aad)
    sealed_output_key = hpke_seal(recipient_key, output_key, OUTPUT_INFO + transfer.encode())
    manifest = {
        "type": MANIFEST_TYPE,
        "transfer": transfer,
        "input_digest": f"sha256:{sha256_hex(ciphertext)}",
        "output_digest": f"sha256:{sha256_hex(output)}",
        "measurement": f"sha384:{runtime.measurement}",
        "profile": profile,
        "profile_digest": profile_digest,
        "resource_counts": dict(sorted(counts.items())),
        "masked_fields": masked,
        "consent_digest": consent_digest,
        "recipient": recipient,
    }
    return {
        "output": b64url_encode(output),
        "output_aad": b64url_encode(out_aad),
        "sealed_output_key": b64url_encode(sealed_output_key),
        "manifest": manifest,
        "manifest_signature": b64url_encode(runtime.sign_manifest(manifest_bytes(manifest))),
    }
