"""Ports of the enclave domain: a backend launches sessions; a program sees a runtime.

Real backends (Nitro, TDX, SEV-SNP, Hygon CSV) and the simulated one implement the same
two Protocols, so the key broker and the transfer flow never know which one runs.
"""

from __future__ import annotations

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

    def sign_manifest(self, message: bytes) -> bytes:
        """Ed25519-sign ``message`` with the attested manifest-signing key."""
        ...
