"""``corridor ledger verify-checkpoint`` and ``verify-receipt`` through Typer's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from corridor.cli.ledger import app
from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.evidence import SignedEntry
from corridor.ledger.merkle import MemoryTree
from corridor.ledger.note import Checkpoint, Ed25519NoteSigner, format_note
from corridor.ledger.receipt import TrustPolicy, format_receipt

_TLOG = Path(__file__).parents[2] / "assets" / "tlog"
runner = CliRunner()


def _checkpoints() -> dict[str, Any]:
    path = _TLOG / "signed_note_checkpoints.golang-x-mod-note.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_verify_checkpoint_prints_origin_size_and_root(tmp_path: Path) -> None:
    data = _checkpoints()
    note = tmp_path / "checkpoint"
    note.write_text(data["notes"][3]["signed_note"], encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "verify-checkpoint",
            str(note),
            "--vkey",
            data["log_vkey"],
            "--origin",
            "example.com/test-log",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["origin"] == "example.com/test-log"
    assert summary["size"] == 300
    assert summary["root_hash"] == "56/ILTiUT8eTBUUygJHUWCMojB9zTL2sBjlnE+vUtdU="


def test_verify_checkpoint_accepts_when_any_one_key_verifies(tmp_path: Path) -> None:
    data = _checkpoints()
    note = tmp_path / "checkpoint"
    note.write_text(data["notes"][4]["signed_note"], encoding="utf-8")
    unrelated = Ed25519NoteSigner("other.test/log", SigningKeyPair.generate()).verifier_key
    result = runner.invoke(
        app, ["verify-checkpoint", str(note), "--vkey", unrelated, "--vkey", data["second_vkey"]]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verified_by"] == ["regulator-b.example/witness"]


@pytest.mark.parametrize(
    ("mutate", "extra", "reason"),
    [
        (lambda text: text.replace("\n300\n", "\n301\n"), [], "does not verify"),
        (lambda text: text, ["--origin", "example.com/other"], "origin"),
        (lambda text: text.replace("\u2014", "-"), [], "em dash"),
    ],
)
def test_verify_checkpoint_fails_with_the_reason(
    tmp_path: Path, mutate: Callable[[str], str], extra: list[str], reason: str
) -> None:
    data = _checkpoints()
    note = tmp_path / "checkpoint"
    note.write_text(mutate(data["notes"][3]["signed_note"]), encoding="utf-8")
    result = runner.invoke(
        app, ["verify-checkpoint", str(note), "--vkey", data["log_vkey"], *extra]
    )
    assert result.exit_code == 1
    assert reason in result.stderr


def test_verify_checkpoint_with_no_matching_key_fails(tmp_path: Path) -> None:
    data = _checkpoints()
    note = tmp_path / "checkpoint"
    note.write_text(data["notes"][0]["signed_note"], encoding="utf-8")
    unrelated = Ed25519NoteSigner("other.test/log", SigningKeyPair.generate()).verifier_key
    result = runner.invoke(app, ["verify-checkpoint", str(note), "--vkey", unrelated])
    assert result.exit_code == 1
    assert "no signature by a known key" in result.stderr


def _receipt_files(tmp_path: Path, make_entry: Callable[..., SignedEntry]) -> tuple[Path, Path]:
    signer = Ed25519NoteSigner("datacenter.test/log", SigningKeyPair.generate())
    entries = [make_entry(i) for i in range(5)]
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry.leaf)
    body = Checkpoint(signer.name, tree.size, tree.root()).body()
    receipt = tmp_path / "000003.tlog-proof"
    receipt.write_text(
        format_receipt(
            leaf=entries[3].leaf,
            index=3,
            proof=tree.inclusion_proof(3),
            checkpoint_note=format_note(body, [signer.sign(body)]),
        ),
        encoding="utf-8",
    )
    trust = tmp_path / "trust.json"
    policy = TrustPolicy(origin=signer.name, log_key=signer.verifier_key)
    trust.write_text(json.dumps(policy.to_json()), encoding="utf-8")
    return receipt, trust


def test_verify_receipt_prints_the_verified_entry(
    tmp_path: Path, make_entry: Callable[..., SignedEntry]
) -> None:
    receipt, trust = _receipt_files(tmp_path, make_entry)
    result = runner.invoke(app, ["verify-receipt", str(receipt), "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["index"], summary["tree_size"]) == (3, 5)
    assert summary["entry"]["transfer"] == "transfer-0001"


def test_verify_receipt_rejects_a_changed_byte_and_a_bad_trust_file(
    tmp_path: Path, make_entry: Callable[..., SignedEntry]
) -> None:
    receipt, trust = _receipt_files(tmp_path, make_entry)
    data = bytearray(receipt.read_bytes())
    data[len(data) // 2] ^= 0x01
    receipt.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify-receipt", str(receipt), "--trust", str(trust)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    trust.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["verify-receipt", str(receipt), "--trust", str(trust)])
    assert result.exit_code == 1
    assert "not JSON" in result.stderr
    missing = runner.invoke(app, ["verify-receipt", str(tmp_path / "none"), "--trust", str(trust)])
    assert missing.exit_code == 1
