"""INSECURE simulated enclave backend: a separate OS process and a per-install "hardware" root.

There is no TEE hardware here. This backend reproduces the *protocol* of AWS Nitro
Enclaves so that everything around it (the key broker, the verifiers, the manifests) is
the real thing: the enclave program runs in its own process with ephemeral keys that
never leave it, the host ("hypervisor") measures the program and its configuration into
PCR0, and a simulated Nitro Security Module signs a COSE_Sign1 attestation document
with the same payload layout as AWS's, under a certificate chain to a root created for
this installation. Nothing isolates the process from the host's operator: it is named,
documented and warned about as insecure, and settings refuse it in production.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from corridor.clock import Clock
from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json
from corridor.enclave.attestation import certificate_sha256
from corridor.enclave.channel import read_frame, write_frame
from corridor.enclave.cose import sign_es384
from corridor.enclave.errors import EnclaveUnavailable, JobRejected, SimulatedRootInvalid

SIMULATED_FORMAT = "simulated"
_ROOT_FILE, _ROOT_KEY_FILE = "root.pem", "root-key.pem"
_NSM_FILE, _NSM_KEY_FILE = "nsm.pem", "nsm-key.pem"
_ROOT_LIFETIME = timedelta(days=365 * 30)  # AWS's root: 30 years
_NSM_LIFETIME = timedelta(days=365 * 5)
_LEAF_LIFETIME = timedelta(hours=3)  # like Nitro's per-enclave signing certificate
_LEAF_RENEW_BEFORE = timedelta(minutes=10)
_PCR_COUNT, _PCR_BYTES = 16, 48  # real documents carry PCR0..PCR15 of SHA-384 size
_MEASUREMENT_CONTEXT = b"corridor/simulated-pcr/v1\x00"
_MAX_NONCE_BYTES = 512  # attestation_process.md §3.2.2.1 content rules
_CHILD_MODULE = "corridor.enclave.process"
_SEALING_CONTEXT = b"corridor/simulated-sealing/v1"


class InsecureEnclaveWarning(UserWarning):
    """A simulated enclave is in use: no hardware isolates its memory from the host."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Corridor (simulated, insecure)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _build_certificate(
    *,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    lifetime: timedelta,
    ca_path_length: int | None,
    is_ca: bool,
) -> x509.Certificate:
    # Same profile as AWS's chain (critical basicConstraints and keyUsage), so the one
    # verifier in attestation.py checks simulated and real documents alike.
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + lifetime)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA384())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class SimulatedRoot:
    """A per-install P-384 root CA and the simulated NSM's intermediate signing CA.

    Both private keys are stored PKCS#8-encrypted under a passphrase; loading decrypts
    only the intermediate's key, which issues a short-lived leaf per enclave session.
    """

    def __init__(
        self,
        *,
        root: x509.Certificate,
        intermediate: x509.Certificate,
        intermediate_key: ec.EllipticCurvePrivateKey,
    ) -> None:
        self.root_certificate = root
        self.intermediate_certificate = intermediate
        self._intermediate_key = intermediate_key

    def __repr__(self) -> str:
        return f"SimulatedRoot(sha256={self.fingerprint[:16]}...)"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the root certificate (DER), hex: what verifiers pin."""
        return certificate_sha256(self.root_certificate)

    @classmethod
    def create(cls, folder: Path, passphrase: bytes, *, now: datetime) -> SimulatedRoot:
        """Generate a new root and intermediate into ``folder`` (which must not hold one)."""
        folder.mkdir(parents=True, exist_ok=True)
        root_key = ec.generate_private_key(ec.SECP384R1())
        nsm_key = ec.generate_private_key(ec.SECP384R1())
        root_name = _name(f"corridor simulated root {secrets.token_hex(4)}")
        root = _build_certificate(
            subject=root_name,
            public_key=root_key.public_key(),
            issuer=root_name,
            issuer_key=root_key,
            not_before=now - timedelta(minutes=5),
            lifetime=_ROOT_LIFETIME,
            ca_path_length=None,
            is_ca=True,
        )
        intermediate = _build_certificate(
            subject=_name("corridor simulated nsm"),
            public_key=nsm_key.public_key(),
            issuer=root_name,
            issuer_key=root_key,
            not_before=now - timedelta(minutes=5),
            lifetime=_NSM_LIFETIME,
            ca_path_length=0,
            is_ca=True,
        )
        encryption = serialization.BestAvailableEncryption(passphrase)
        pkcs8 = serialization.PrivateFormat.PKCS8
        pem = serialization.Encoding.PEM
        try:
            _write_private(folder / _ROOT_KEY_FILE, root_key.private_bytes(pem, pkcs8, encryption))
            _write_private(folder / _NSM_KEY_FILE, nsm_key.private_bytes(pem, pkcs8, encryption))
            _write_private(folder / _NSM_FILE, intermediate.public_bytes(pem))
            # The root certificate is written last: its presence marks a complete install.
            _write_private(folder / _ROOT_FILE, root.public_bytes(pem))
        except FileExistsError as exc:
            raise SimulatedRootInvalid(f"{folder} already holds a simulated root") from exc
        return cls(root=root, intermediate=intermediate, intermediate_key=nsm_key)

    @classmethod
    def load(cls, folder: Path, passphrase: bytes) -> SimulatedRoot:
        """Load a root written by :meth:`create`."""
        try:
            root = x509.load_pem_x509_certificate((folder / _ROOT_FILE).read_bytes())
            intermediate = x509.load_pem_x509_certificate((folder / _NSM_FILE).read_bytes())
            key = serialization.load_pem_private_key(
                (folder / _NSM_KEY_FILE).read_bytes(), password=passphrase
            )
        except (OSError, ValueError, TypeError) as exc:
            raise SimulatedRootInvalid(f"cannot load the simulated root in {folder}") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SimulatedRootInvalid("the simulated NSM key is not an EC key")
        return cls(root=root, intermediate=intermediate, intermediate_key=key)

    @classmethod
    def load_or_create(cls, folder: Path, passphrase: bytes, *, now: datetime) -> SimulatedRoot:
        """Load the install's root, creating it the first time."""
        if (folder / _ROOT_FILE).exists():
            return cls.load(folder, passphrase)
        return cls.create(folder, passphrase, now=now)

    def issue_signing_certificate(
        self, *, module_id: str, now: datetime
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A fresh leaf key and certificate for one enclave session (like Nitro's NSM)."""
        key = ec.generate_private_key(ec.SECP384R1())
        certificate = _build_certificate(
            subject=_name(module_id),
            public_key=key.public_key(),
            issuer=self.intermediate_certificate.subject,
            issuer_key=self._intermediate_key,
            not_before=now - timedelta(seconds=1),
            lifetime=_LEAF_LIFETIME,
            ca_path_length=None,
            is_ca=False,
        )
        return key, certificate

    def derive_sealing_key(self, measurement: str) -> bytes:
        """The simulated hardware's key for one measurement (32 bytes).

        Real TEEs derive such keys from a fused secret and the launch measurement (AMD
        SEV-SNP ``MSG_KEY_REQ`` with the measurement selected, ABI spec §7.2; Intel SGX
        ``EGETKEY`` with ``KEYPOLICY.MRENCLAVE``): every instance of the same program on
        the same platform gets the same key, other programs never do. Here the fused
        secret is the simulated NSM's private key, so whoever holds the install's
        passphrase can derive it too: one more reason the simulation is insecure.
        """
        secret = self._intermediate_key.private_numbers().private_value.to_bytes(48, "big")
        return HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=_SEALING_CONTEXT,
            info=bytes.fromhex(measurement),
        ).derive(secret)

    @property
    def cabundle(self) -> list[bytes]:
        """Root first, then the intermediate, as in a Nitro document."""
        der = serialization.Encoding.DER
        return [
            self.root_certificate.public_bytes(der),
            self.intermediate_certificate.public_bytes(der),
        ]


def build_attestation_document(
    *,
    signing_key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    cabundle: list[bytes],
    module_id: str,
    pcrs: dict[int, bytes],
    public_key: bytes | None,
    user_data: bytes | None,
    nonce: bytes | None,
    at: datetime,
) -> bytes:
    """A COSE_Sign1 attestation document with AWS Nitro's payload layout and key order."""
    payload = cbor2.dumps(
        {
            "module_id": module_id,
            "digest": "SHA384",
            "timestamp": int(at.timestamp() * 1000),
            "pcrs": pcrs,
            "certificate": certificate.public_bytes(serialization.Encoding.DER),
            "cabundle": cabundle,
            "public_key": public_key,
            "user_data": user_data,
            "nonce": nonce,
        }
    )
    return sign_es384(signing_key, payload)


@dataclass(frozen=True)
class MeasuredProgram:
    """An enclave program's exact source and configuration, and their measurements."""

    name: str
    source: bytes
    config: dict[str, Any]
    pcrs: dict[int, bytes]

    @property
    def measurement(self) -> str:
        """PCR0, lower-case hex."""
        return self.pcrs[0].hex()


def _sha384_frames(*parts: bytes) -> bytes:
    digest = hashlib.sha384(_MEASUREMENT_CONTEXT)
    for part in parts:  # length-prefixed, so no two inputs share an encoding
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


def measure_program(program: Path | str, config: dict[str, Any]) -> MeasuredProgram:
    """Read ``program`` (a file or an importable module name) once and measure it.

    PCR0 = SHA-384 over the program's name, code bytes and canonical config (the image);
    PCR1 = the child's main loop and Python version (the "kernel and bootstrap");
    PCR2 = the program's code alone (the "application"). PCR3..15 are zero.
    """
    if isinstance(program, Path):
        name, path = program.stem, program
    else:
        spec = importlib.util.find_spec(program)
        if spec is None or spec.origin is None:
            raise SimulatedRootInvalid(f"enclave program {program!r} cannot be found")
        name, path = program, Path(spec.origin)
    child_spec = importlib.util.find_spec(_CHILD_MODULE)
    assert child_spec is not None
    assert child_spec.origin is not None
    source = path.read_bytes()
    config_bytes = canonical_json(config)
    pcrs = dict.fromkeys(range(_PCR_COUNT), bytes(_PCR_BYTES))
    pcrs[0] = _sha384_frames(name.encode(), source, config_bytes)
    pcrs[1] = _sha384_frames(Path(child_spec.origin).read_bytes(), sys.version.encode())
    pcrs[2] = _sha384_frames(source)
    return MeasuredProgram(name=name, source=source, config=config, pcrs=pcrs)


class SimulatedEnclaveBackend:
    """INSECURE: launches the enclave program in a child process; evidence is simulated.

    Warns with :class:`InsecureEnclaveWarning` when built.
    """

    evidence_format = SIMULATED_FORMAT

    def __init__(
        self,
        program: Path | str,
        config: dict[str, Any],
        root: SimulatedRoot,
        clock: Clock,
        *,
        python: str = sys.executable,
        timeout_seconds: float = 120.0,
    ) -> None:
        warnings.warn(
            "SimulatedEnclaveBackend gives no hardware isolation: the host can read the "
            "enclave's memory and keys. Use it only for local development and tests.",
            InsecureEnclaveWarning,
            stacklevel=2,
        )
        self._program = measure_program(program, config)
        self._root = root
        self._clock = clock
        self._python = python
        self._timeout_seconds = timeout_seconds

    @property
    def measurement(self) -> str:
        """PCR0 of the program this backend launches, lower-case hex."""
        return self._program.measurement

    @property
    def root(self) -> SimulatedRoot:
        """The simulated hardware root whose certificate verifiers must pin."""
        return self._root

    def launch(self) -> SimulatedEnclaveSession:
        """Start the program in a new OS process with fresh ephemeral keys."""
        return SimulatedEnclaveSession(
            program=self._program,
            root=self._root,
            clock=self._clock,
            python=self._python,
            timeout_seconds=self._timeout_seconds,
        )


class SimulatedEnclaveSession:
    """One running simulated enclave (a child process speaking framed JSON on stdio)."""

    def __init__(
        self,
        *,
        program: MeasuredProgram,
        root: SimulatedRoot,
        clock: Clock,
        python: str,
        timeout_seconds: float,
    ) -> None:
        self._program = program
        self._root = root
        self._clock = clock
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self.module_id = f"simulated-{root.fingerprint[:16]}-enc{secrets.token_hex(8)}"
        self._leaf_key, self._leaf = root.issue_signing_certificate(
            module_id=self.module_id, now=clock.now()
        )
        # The child is `python -m corridor.enclave.process`; its argv is fixed, not user input.
        self._process = subprocess.Popen(  # noqa: S603
            [python, "-m", _CHILD_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
        try:
            answer = self._call(
                {
                    "op": "init",
                    "program": program.name,
                    "source": b64url_encode(program.source),
                    "config": program.config,
                    "measurement": program.measurement,
                    # What the hardware hands the measured enclave (see derive_sealing_key).
                    "sealing_key": b64url_encode(root.derive_sealing_key(program.measurement)),
                }
            )
        except Exception:
            self.close()
            raise
        self._child_pid = int(answer["pid"])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def measurement(self) -> str:
        """PCR0 of the running program, lower-case hex."""
        return self._program.measurement

    @property
    def pid(self) -> int | None:
        """The child's process id as the child itself reports it."""
        return self._child_pid

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._process.poll() is not None:
                raise EnclaveUnavailable("the enclave process has exited")
            assert self._process.stdin is not None
            assert self._process.stdout is not None
            write_frame(self._process.stdin.fileno(), request)
            answer = read_frame(self._process.stdout.fileno(), timeout_seconds=self._timeout)
        if answer is None:
            raise EnclaveUnavailable("the enclave process closed its channel")
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise JobRejected(
                str(error.get("message", "the enclave refused the request")),
                detail={"enclave_code": str(error.get("code", "unknown"))},
            )
        return answer

    def evidence(self, nonce: bytes, user_data: bytes | None = None) -> bytes:
        """A Nitro-shaped COSE_Sign1 document signed by the simulated NSM.

        The child supplies only its public key and ``user_data`` (its manifest key and
        the caller's binding); PCRs come from the host's own measurement, as on real
        hardware, so a compromised program cannot claim another program's PCR0.
        """
        if not 0 < len(nonce) <= _MAX_NONCE_BYTES:
            raise ValueError("nonce must be 1..512 bytes")
        answer = self._call(
            {"op": "identity", "binding": None if user_data is None else b64url_encode(user_data)}
        )
        public_key = b64url_decode(str(answer["public_key"]))
        enclave_user_data = b64url_decode(str(answer["user_data"]))
        now = self._clock.now()
        if now > self._leaf.not_valid_after_utc - _LEAF_RENEW_BEFORE:
            self._leaf_key, self._leaf = self._root.issue_signing_certificate(
                module_id=self.module_id, now=now
            )
        return build_attestation_document(
            signing_key=self._leaf_key,
            certificate=self._leaf,
            cabundle=self._root.cabundle,
            module_id=self.module_id,
            pcrs=self._program.pcrs,
            public_key=public_key,
            user_data=enclave_user_data,
            nonce=nonce,
            at=now,
        )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job in the child; :class:`JobRejected` carries the enclave's refusal."""
        result = self._call({"op": "run", "job": job})["result"]
        if not isinstance(result, dict):
            raise EnclaveUnavailable("the enclave returned a result that is not an object")
        return result

    def close(self) -> None:
        """Ask the child to exit, then make sure it has; idempotent."""
        process = self._process
        if process.poll() is None and process.stdin is not None:
            try:
                with self._lock:
                    write_frame(process.stdin.fileno(), {"op": "close"})
            except EnclaveUnavailable:
                pass
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
