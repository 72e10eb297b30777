"""Ports of the enclave domain: a backend launches sessions; a program sees a runtime.

Real backends (Nitro, TDX, SEV-SNP, Hygon CSV) and the simulated one implement the same
two Protocols, so the key broker and the transfer flow never know which one runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Self


class EnclaveSession(Protocol):
    """One running enclave: it answers evidence requests and runs jobs.

    A session is a context manager: leaving the ``with`` block closes it.
    """

    def __enter__(self) -> Self:
        """Return the session itself."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the session."""
        ...

    @property
    def measurement(self) -> str:
        """The launched image's measurement (PCR0), lower-case hex."""
        ...

    @property
    def pid(self) -> int | None:
        """The operating-system process id of the enclave, when it has one."""
        ...

    def evidence(self, nonce: bytes, user_data: bytes | None = None) -> bytes:
        """Attestation evidence binding ``nonce``, the enclave's keys and ``user_data``."""
        ...

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job inside the enclave and return its (already protected) result."""
        ...

    def close(self) -> None:
        """Stop the enclave; its ephemeral keys die with it."""
        ...


class EnclaveBackend(Protocol):
    """A way to launch enclaves running one measured program."""

    @property
    def evidence_format(self) -> str:
        """The attestation format its evidence is in (``nitro``, ``simulated``, ...)."""
        ...

    @property
    def measurement(self) -> str:
        """The measurement a session of this program will have, lower-case hex."""
        ...

    def launch(self) -> EnclaveSession:
        """Start a new enclave with fresh ephemeral keys."""
        ...


class EnclaveRuntime(Protocol):
    """What a program running inside the enclave may use; private keys never leave it."""

    @property
    def measurement(self) -> str:
        """This enclave's own PCR0 (as the hypervisor measured it), lower-case hex."""
        ...

    @property
    def config(self) -> dict[str, Any]:
        """The measured configuration the program was launched with."""
        ...

    def open_sealed(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open ``sealed`` with the enclave's ephemeral key (RFC 9180 base mode)."""
        ...

    def open_deposit(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open ``sealed`` with the deposit key (only this program on this platform has it)."""
        ...

    def sign_manifest(self, message: bytes) -> bytes:
        """Ed25519-sign ``message`` with the attested manifest-signing key."""
        ...


class ReleaseGate(Protocol):
    """What the key broker asks the transfer flow before and after a release (KBS protocol).

    The broker owns attestation; the flow owns the release policy (consent valid and not
    revoked, both regulators' permits for the filed transfer), the deposits and the
    evidence entries about its transfers.
    """

    def release_refusals(self, transfer: str) -> list[str]:
        """Every reason the release policy says no; empty when it holds."""
        ...

    def deposit_of(self, transfer: str) -> tuple[bytes, bytes]:
        """The sealed capability and the sealed deposit hospital A deposited."""
        ...

    def record(
        self,
        entry_type: str,
        *,
        transfer: str,
        digests: Mapping[str, str],
        details: Mapping[str, str | int | bool | None],
    ) -> None:
        """Write one evidence entry about ``transfer`` to the monitoring chain."""
        ...
