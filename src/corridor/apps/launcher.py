"""Start parties as separate processes on loopback, each with its own settings file.

Used by ``corridor demo``; also what an operator would script for a one-machine test bed.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from corridor.errors import Unavailable
from corridor.identity import did_web_for_url, load_or_create_wallet, wallet_info

_STARTUP_SECONDS = 90.0


@dataclass(frozen=True)
class PartySpec:
    """One party of a local corridor."""

    name: str
    kind: str
    jurisdiction: str
    display_name: str
    peers: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)
    licenses: tuple[tuple[str, str], ...] = ()
    """For a regulator: ``(party name, credential type)`` it issues on request."""


@dataclass(frozen=True)
class RunningParty:
    """A started party: its spec, URL, settings file and process."""

    spec: PartySpec
    url: str
    config: Path
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def settings_toml(values: Mapping[str, Any]) -> str:
    """A minimal TOML writer for settings: scalars, one level of tables, arrays of tables."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in values.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        lines.append(f"\n[{key}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    for key, items in arrays:
        for item in items:
            lines.append(f"\n[[{key}]]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(lines) + "\n"


def write_configs(
    workdir: Path, specs: tuple[PartySpec, ...], operators: Mapping[str, str] | None = None
) -> dict[str, tuple[str, Path]]:
    """Write each party's settings file; returns name -> (url, path).

    ``operators`` maps a party name to the ``did:key`` of the person who drives it.
    """
    urls = {spec.name: f"http://127.0.0.1:{free_port()}" for spec in specs}
    by_name = {spec.name: spec for spec in specs}
    written: dict[str, tuple[str, Path]] = {}
    for spec in specs:
        state = workdir / spec.name
        state.mkdir(parents=True, exist_ok=True)
        values: dict[str, Any] = {
            "environment": "local",
            "party": spec.kind,
            "name": spec.name,
            "display_name": spec.display_name,
            "jurisdiction": spec.jurisdiction,
            "public_url": urls[spec.name],
            "state_dir": str(state),
            **spec.extra,
            "operators": [operators[spec.name]] if operators and spec.name in operators else [],
            "licensed_institutions": [
                {"did": did_web_for_url(urls[holder]), "credential": credential, "name": holder}
                for holder, credential in spec.licenses
            ],
            "peers": [
                {
                    "name": peer,
                    "kind": by_name[peer].kind,
                    "url": urls[peer],
                    "jurisdiction": by_name[peer].jurisdiction,
                    "display_name": by_name[peer].display_name,
                }
                for peer in spec.peers
            ],
        }
        path = state / "settings.toml"
        path.write_text(settings_toml(values), encoding="utf-8")
        written[spec.name] = (urls[spec.name], path)
    return written


def demo_passphrase(workdir: Path) -> str:
    """The key passphrase of this local corridor, created once (mode 0600)."""
    path = workdir / ".secrets" / "key-passphrase"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def operator_wallet(workdir: Path, name: str) -> Path:
    """Where the demo keeps the operator key of party ``name`` (an encrypted wallet file)."""
    return workdir / "operators" / f"{name}.json"


def ensure_operators(workdir: Path, specs: tuple[PartySpec, ...]) -> dict[str, str]:
    """Create (once) an operator key per party, sealed under the corridor's passphrase.

    The demo acts as every party's operator: each party accepts only its own operator's
    signed requests on its staff endpoints (docs/identity.md).
    """
    passphrase = demo_passphrase(workdir).encode()
    dids = {}
    for spec in specs:
        path = operator_wallet(workdir, spec.name)
        load_or_create_wallet(path, passphrase)
        dids[spec.name] = wallet_info(path).did
    return dids


def _wait_healthy(party: RunningParty, deadline: float) -> None:
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if party.process.poll() is not None:
                tail = party.log.read_text(errors="replace")[-3000:]
                raise Unavailable(
                    f"{party.spec.name} exited with code {party.process.returncode}",
                    detail={"log": tail},
                )
            try:
                if client.get(f"{party.url}/healthz").status_code == 200:  # noqa: PLR2004
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise Unavailable(f"{party.spec.name} did not become healthy in {_STARTUP_SECONDS:.0f} s")


@contextmanager
def run_parties(workdir: Path, specs: tuple[PartySpec, ...]) -> Iterator[dict[str, RunningParty]]:
    """Start every party as ``python -m corridor serve``; stop them all on exit."""
    configs = write_configs(workdir, specs, ensure_operators(workdir, specs))
    env = dict(os.environ)
    env["CORRIDOR_KEY_PASSPHRASE"] = demo_passphrase(workdir)
    running: dict[str, RunningParty] = {}
    try:
        for spec in specs:
            url, config = configs[spec.name]
            log = workdir / spec.name / "server.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
                    [sys.executable, "-m", "corridor", "serve", spec.kind, "--config", str(config)],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            running[spec.name] = RunningParty(spec, url, config, process, log)
        deadline = time.monotonic() + _STARTUP_SECONDS
        for party in running.values():
            _wait_healthy(party, deadline)
        yield running
    finally:
        for party in running.values():
            if party.process.poll() is None:
                party.process.terminate()
        for party in running.values():
            try:
                party.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                party.process.kill()
                party.process.wait()
