"""Main loop of an enclave process: ``python -m corridor.enclave.process``.

The host sends framed JSON requests on stdin (see :mod:`corridor.enclave.channel`):
``init`` (the measured program source and config, and the PCR0 the host computed),
``identity`` (public key and user_data for evidence), ``run`` (one job) and ``close``.
The process creates its own ephemeral X25519 (HPKE) and Ed25519 (manifest) keys, and
derives its deposit key (X25519) from the measurement-bound sealing key the simulated
hardware provides at ``init``; only public halves are ever written to the channel.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from corridor.crypto.canonical import b64url_decode, b64url_encode
from corridor.crypto.envelopes import hpke_open
from corridor.crypto.keys import AgreementKeyPair, SigningKeyPair
from corridor.enclave.channel import read_frame, write_frame
from corridor.enclave.deposit import deposit_key_from_sealing_key
from corridor.enclave.manifest import encode_user_data
from corridor.errors import CorridorError


class ChildRuntime:
    """The :class:`~corridor.enclave.interfaces.EnclaveRuntime` inside the enclave process."""

    def __init__(self, *, measurement: str, config: dict[str, Any], sealing_key: bytes) -> None:
        self._agreement = AgreementKeyPair.generate()
        self._signing = SigningKeyPair.generate()
        self._deposit = deposit_key_from_sealing_key(sealing_key)
        self._measurement = measurement
        self._config = config

    def __repr__(self) -> str:
        return f"ChildRuntime(measurement={self._measurement[:16]}...)"

    @property
    def measurement(self) -> str:
        """PCR0 as the host measured it (what NSM DescribePCR would return on Nitro)."""
        return self._measurement

    @property
    def config(self) -> dict[str, Any]:
        """The measured configuration."""
        return self._config

    @property
    def public_key(self) -> bytes:
        """Raw X25519 public key that key releases are sealed to."""
        return self._agreement.public_raw

    @property
    def manifest_key(self) -> bytes:
        """Raw Ed25519 public key that verifies this enclave's manifests."""
        return self._signing.public_raw

    @property
    def deposit_key(self) -> bytes:
        """Raw X25519 public key hospitals seal deposits to (the same for every instance)."""
        return self._deposit.public_raw

    def open_sealed(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open with the ephemeral key (RFC 9180 base mode)."""
        return hpke_open(self._agreement.private, sealed, info)

    def open_deposit(self, sealed: bytes, info: bytes) -> bytes:
        """HPKE-open with the measurement-bound deposit key."""
        return hpke_open(self._deposit.private, sealed, info)

    def sign_manifest(self, message: bytes) -> bytes:
        """Ed25519 signature with the manifest key."""
        return self._signing.sign(message)


def _load_program(name: str, source: bytes) -> types.ModuleType:
    # Execute exactly the bytes the host measured, rather than importing by name again:
    # a file changed between measurement and import would otherwise run unmeasured code.
    module = types.ModuleType(f"corridor_enclave_program_{name.replace('.', '_')}")
    module.__file__ = f"<measured enclave program {name}>"
    sys.modules[module.__name__] = module
    code = compile(source, module.__file__, "exec")
    exec(code, module.__dict__)  # noqa: S102  # the measured program image is the point
    if not callable(getattr(module, "run", None)):
        raise TypeError(f"enclave program {name!r} has no run(job, runtime) function")
    return module


def _serve(read_fd: int, write_fd: int) -> int:
    runtime: ChildRuntime | None = None
    program: types.ModuleType | None = None
    while True:
        request = read_frame(read_fd)
        if request is None:
            return 0
        op = request.get("op")
        try:
            if op == "init" and runtime is None:
                runtime = ChildRuntime(
                    measurement=str(request["measurement"]),
                    config=dict(request["config"]),
                    sealing_key=b64url_decode(str(request["sealing_key"])),
                )
                program = _load_program(
                    str(request["program"]), b64url_decode(str(request["source"]))
                )
                answer: dict[str, Any] = {"pid": os.getpid()}
            elif op == "identity" and runtime is not None:
                binding = request.get("binding")
                user_data = encode_user_data(
                    manifest_key=runtime.manifest_key,
                    deposit_key=runtime.deposit_key,
                    binding=None if binding is None else b64url_decode(str(binding)),
                )
                answer = {
                    "public_key": b64url_encode(runtime.public_key),
                    "user_data": b64url_encode(user_data),
                }
            elif op == "run" and runtime is not None and program is not None:
                answer = {"result": program.run(dict(request["job"]), runtime)}
            elif op == "close":
                return 0  # the host has stopped reading; answering could hit a closed pipe
            else:
                answer = {"error": {"code": "bad-request", "message": f"unexpected op {op!r}"}}
        except CorridorError as exc:
            answer = {"error": {"code": exc.code, "message": exc.message}}
        except Exception as exc:  # noqa: BLE001  # the enclave answers every request
            # Only the exception type leaves the enclave: its text might quote plaintext.
            answer = {"error": {"code": "internal", "message": type(exc).__name__}}
        write_frame(write_fd, answer)


def main() -> int:
    """Run the loop on the original stdin/stdout; stray prints go to stderr instead."""
    read_fd = os.dup(0)
    write_fd = os.dup(1)
    os.dup2(2, 1)  # anything the program prints must not corrupt the frame stream
    sys.stdout = sys.stderr
    return _serve(read_fd, write_fd)


if __name__ == "__main__":
    sys.exit(main())
