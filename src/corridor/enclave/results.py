"""The one typed outcome of every attestation verifier (RFC 9334 §8.4 "Attestation Results").

Pure. Whatever the hardware (AWS Nitro, Intel TDX, AMD SEV-SNP, Corridor's simulated
format), a verifier that accepts evidence returns an :class:`AttestationResult`; the key
broker, hospital B and the CLI read only this type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

AttestationFormat = Literal["nitro", "simulated", "tdx", "sev-snp"]
ATTESTATION_FORMATS: tuple[AttestationFormat, ...] = ("nitro", "simulated", "tdx", "sev-snp")
ClaimValue = str | int | bool | None


@dataclass(frozen=True)
class AttestationResult:
    """What verified evidence says, ready for appraisal against reference values.

    ``measurements`` are lower-case hex by register index: Nitro PCR0..15; TDX 0 = MRTD
    and 1..4 = RTMR0..3 (the UEFI CC measurement-register indices, UEFI 2.10 §38.4.1);
    SEV-SNP 0 = MEASUREMENT. ``user_data`` is Nitro's field, TDX's REPORTDATA or SNP's
    REPORT_DATA. ``timestamp`` is the document's signed time for Nitro; TDX quotes and SNP
    reports carry none, so it is the verification instant and freshness rests on the
    nonce the relying party bound into the report data. ``report`` holds the format's
    other fields (hex strings and integers) for audit and for the CLI.
    """

    format: AttestationFormat
    module_id: str
    digest: str
    measurements: dict[int, str] = field(hash=False)
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None
    timestamp: datetime
    debug: bool
    warnings: tuple[str, ...]
    root_sha256: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    report: dict[str, ClaimValue] = field(default_factory=dict, hash=False)

    @property
    def measurement(self) -> str:
        """The launch measurement (register 0: PCR0, MRTD or MEASUREMENT), lower-case hex."""
        return self.measurements[0]

    @property
    def pcr0(self) -> str:
        """Alias of :attr:`measurement`, Nitro's name for it."""
        return self.measurements[0]
