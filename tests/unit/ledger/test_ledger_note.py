"""Signed notes, checkpoints and cosignatures against x/mod, C2SP, sigsum and formats vectors."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.errors import InvalidCheckpoint, InvalidNote, InvalidVerifierKey
from corridor.ledger.note import (
    SIGNATURE_COSIGNATURE_V1,
    Checkpoint,
    CosignatureV1Signer,
    Ed25519NoteSigner,
    UnsupportedKeyType,
    format_note,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_note,
    parse_verifier_key,
    signer_from_private_key,
    split_cosignature,
    verifiers_from_keys,
)

_TLOG = Path(__file__).parents[2] / "assets" / "tlog"


@cache
def _vectors(name: str) -> Any:
    return json.loads((_TLOG / name).read_text(encoding="utf-8"))


def _note_cases() -> list[dict[str, Any]]:
    return list(_vectors("signed_note.golang-mod+c2sp.json")["cases"])


def _note_bytes(case: dict[str, Any]) -> bytes:
    if "note_b64" in case:
        return base64.b64decode(case["note_b64"])
    return str(case["note"]).encode("utf-8")


@pytest.mark.parametrize("case", _note_cases(), ids=lambda case: case["id"])
def test_open_note_follows_go_and_c2sp_cases(case: dict[str, Any]) -> None:
    verifiers = [parse_verifier_key(vkey) for vkey in case["verifier_keys"]]
    if case["expect"] == "error":
        with pytest.raises(InvalidNote):
            open_note(_note_bytes(case), verifiers)
        return
    verified = open_note(_note_bytes(case), verifiers)
    assert verified.verified_names() == case["expect_verified"]
    if "expect_text" in case:
        assert verified.text == case["expect_text"]
    if "expect_unverified" in case:
        assert [s.name for s in verified.unverified] == case["expect_unverified"]


@pytest.mark.parametrize(
    "case", _vectors("signed_note.golang-mod+c2sp.json")["vkey_cases"], ids=lambda c: c["vkey"][:30]
)
def test_verifier_keys_parse_exactly_when_valid(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(InvalidVerifierKey):
            parse_verifier_key(case["vkey"])
        return
    verifier = parse_verifier_key(case["vkey"])
    assert f"{verifier.key_id:08x}" == case["key_id"]


def test_signer_reproduces_go_signature_bytes() -> None:
    for case in _vectors("signed_note.golang-mod+c2sp.json")["signing_cases"]:
        signer = signer_from_private_key(case["skey"])
        assert (
            format_note(case["text"], [signer.sign(case["text"])]) == case["expected_signed_note"]
        )


def test_checkpoint_signer_reproduces_go_checkpoints_and_vkeys() -> None:
    data = _vectors("signed_note_checkpoints.golang-x-mod-note.json")
    log = signer_from_private_key(data["log_skey"])
    second = signer_from_private_key(data["second_skey"])
    assert log.verifier_key == data["log_vkey"]
    assert second.verifier_key == data["second_vkey"]
    for case in data["notes"]:
        checkpoint = parse_checkpoint(case["note_text"])
        assert checkpoint.body() == case["note_text"]
        signers = [log] if len(case["verifier_keys"]) == 1 else [log, second]
        body = checkpoint.body()
        assert format_note(body, [s.sign(body) for s in signers]) == case["signed_note"]
        opened = open_checkpoint(
            case["signed_note"],
            [parse_verifier_key(k) for k in case["verifier_keys"]],
            origin="example.com/test-log",
        )
        assert opened.checkpoint == checkpoint


def test_checkpoint_mutations_fail_verification() -> None:
    data = _vectors("signed_note_checkpoints.golang-x-mod-note.json")
    verifiers = [parse_verifier_key(data["log_vkey"])]
    note = data["notes"][2]["signed_note"]
    mutations = [
        note.replace("\n8\n", "\n9\n"),
        note.replace("xcLI", "xcLJ"),
        note[:-1],
        note.replace("example.com/test-log\n8", "example.com/test-lag\n8"),
    ]
    for mutated in mutations:
        with pytest.raises(InvalidNote):
            open_note(mutated, verifiers)


def test_checkpoint_with_wrong_origin_is_refused() -> None:
    data = _vectors("signed_note_checkpoints.golang-x-mod-note.json")
    with pytest.raises(InvalidCheckpoint, match="origin"):
        open_checkpoint(
            data["notes"][0]["signed_note"],
            [parse_verifier_key(data["log_vkey"])],
            origin="example.com/other",
        )


@pytest.mark.parametrize(
    "body",
    [
        "origin\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "origin\n1\nAAAA\n",
        "origin\n1\n",
        "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nextension\n",
        "origin\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body: str) -> None:
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint(body)


def test_checkpoint_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint("example.com/log", 5, bytes(32), ("ext one", "ext two"))
    assert parse_checkpoint(checkpoint.body()) == checkpoint


def test_ecdsa_p256_checkpoints_of_rekor_and_pixel_verify() -> None:
    for case in _vectors("ecdsa_notes.transparency-dev-formats.json")["cases"]:
        verifiers = [parse_verifier_key(case["vkey"])]
        if case["expect"] == "ok":
            assert open_note(case["note"], verifiers).verified_names() == [verifiers[0].name], case[
                "id"
            ]
        else:
            with pytest.raises(InvalidNote):
                open_note(case["note"], verifiers)


def _sigsum_witness() -> tuple[CosignatureV1Signer, dict[str, Any]]:
    case = _vectors("cosignatures.json")["ed25519_cosignature_v1"][0]
    seed = bytes.fromhex(case["witness_ed25519_seed_hex"])
    key = SigningKeyPair(Ed25519PrivateKey.from_private_bytes(seed))
    return CosignatureV1Signer(case["witness_name"], key), case


def test_cosignature_reproduces_sigsum_vector() -> None:
    witness, case = _sigsum_witness()
    line = witness.cosign(case["checkpoint_body"], timestamp=1234).line()
    valid = next(item for item in case["signature_lines"] if item["expect"] == "valid")
    assert line == valid["line"] + "\n"


def test_cosignature_lines_are_ignored_or_rejected_as_sigsum_expects() -> None:
    witness, case = _sigsum_witness()
    log = Ed25519NoteSigner("example.org/log", SigningKeyPair.generate())
    body = case["checkpoint_body"]
    log_line = log.sign(body).line()
    verifiers = [log.verifier(), witness.verifier()]
    for item in case["signature_lines"]:
        note = body + "\n" + log_line + item["line"] + "\n"
        if item["expect"] == "valid":
            opened = open_note(note, verifiers)
            assert opened.verified[1].timestamp == item["timestamp"]
            assert opened.verified[1].key_type == SIGNATURE_COSIGNATURE_V1
        elif item["expect"].startswith("ignore"):
            assert open_note(note, verifiers).verified_names() == ["example.org/log"]
        else:
            with pytest.raises(InvalidNote):
                open_note(note, verifiers)


def test_cosignature_with_changed_timestamp_fails() -> None:
    witness, case = _sigsum_witness()
    body = case["checkpoint_body"]
    signature = witness.cosign(body, timestamp=1234)
    forged = type(signature)(
        signature.name, signature.key_id, (1235).to_bytes(8, "big") + signature.payload[8:]
    )
    with pytest.raises(InvalidNote, match="does not verify"):
        open_note(format_note(body, [forged]), [witness.verifier()])


def test_cosignature_timestamps_parse_as_formats_expects() -> None:
    good, plain = _vectors("cosignatures.json")["timestamp_parse"]
    raw = base64.b64decode(good["sig_b64"])
    assert raw[:4].hex() == good["expect_key_id"]
    assert split_cosignature(raw[4:])[0] == good["expect_timestamp"]
    with pytest.raises(InvalidNote):
        split_cosignature(base64.b64decode(plain["sig_b64"])[4:])


def test_c2sp_cosigned_example_parses_with_its_witness_timestamp() -> None:
    example = _vectors("cosignatures.json")["c2sp_examples_unverifiable"]
    note = parse_note(example["checkpoint_with_cosig"])
    assert split_cosignature(note.signatures[1].payload)[0] == example["expect_w1_timestamp"]


def test_cosignature_verifier_keys_of_type_4_parse_and_type_1_is_not_converted() -> None:
    real, plain = _vectors("cosignatures.json")["vkey_cases"]
    assert parse_verifier_key(real["vkey"]).name == "remora.n621.de"
    assert parse_verifier_key(plain["vkey"]).__class__.__name__ == "Ed25519NoteVerifier"


def test_witness_verifier_key_round_trips() -> None:
    witness = CosignatureV1Signer("regulator-a.example/witness", SigningKeyPair.generate())
    parsed = parse_verifier_key(witness.verifier_key)
    assert (parsed.name, parsed.key_id) == (witness.name, witness.key_id)


def test_unknown_key_types_are_skipped_by_the_generic_verifier() -> None:
    mldsa = _vectors("cosignatures.json")["mldsa44_subtree_cosignature"][0]["vkey"]
    with pytest.raises(UnsupportedKeyType):
        parse_verifier_key(mldsa)
    log = Ed25519NoteSigner("example.com/log", SigningKeyPair.generate())
    assert [v.name for v in verifiers_from_keys([mldsa, log.verifier_key])] == ["example.com/log"]


def test_signer_refuses_text_without_final_newline() -> None:
    log = Ed25519NoteSigner("example.com/log", SigningKeyPair.generate())
    with pytest.raises(InvalidNote):
        log.sign("no newline")
