"""The witness's pure checks (C2SP tlog-witness): request format and status-code order."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from corridor.crypto.keys import SigningKeyPair
from corridor.errors import Conflict, Forbidden, InvalidInput, NotFound, VerificationFailed
from corridor.ledger.errors import (
    ConsistencyProofFailed,
    ForkedCheckpoint,
    MalformedWitnessRequest,
    UnknownLogOrigin,
    UntrustedCheckpoint,
    WitnessSizeMismatch,
)
from corridor.ledger.merkle import EMPTY_ROOT, MemoryTree
from corridor.ledger.note import (
    Checkpoint,
    CosignatureV1Signer,
    Ed25519NoteSigner,
    format_note,
    open_note,
)
from corridor.ledger.witness import (
    MAX_PROOF_LINES,
    AddCheckpointRequest,
    CosignedState,
    check_add_checkpoint,
    format_cosignature_lines,
    parse_add_checkpoint,
)

ORIGIN = "log.test/corridor"
_VECTORS = Path(__file__).parents[2] / "assets" / "tlog" / "witness_protocol.c2sp.json"


@pytest.fixture
def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())


@pytest.fixture
def tree() -> MemoryTree:
    tree = MemoryTree()
    for i in range(20):
        tree.append(f"entry {i}".encode())
    return tree


Note = Callable[..., str]


@pytest.fixture
def note(signer: Ed25519NoteSigner, tree: MemoryTree) -> Note:
    def _note(size: int, root: bytes | None = None, by: Ed25519NoteSigner | None = None) -> str:
        body = Checkpoint(ORIGIN, size, tree.root(size) if root is None else root).body()
        return format_note(body, [(by or signer).sign(body)])

    return _note


def _check(
    request: AddCheckpointRequest, signer: Ed25519NoteSigner, cosigned: CosignedState | None
) -> Checkpoint:
    return check_add_checkpoint(
        request, log_verifiers=[signer.verifier()], cosigned=cosigned
    ).checkpoint


def test_parses_the_spec_example_request_and_serialises_it_back():
    vectors = json.loads(_VECTORS.read_text(encoding="utf-8"))
    body = vectors["add_checkpoint_request_example"].encode()
    request = parse_add_checkpoint(body)
    expected = vectors["expect_parse"]
    assert request.old_size == expected["old_size"]
    assert len(request.proof) == expected["proof_len"]
    assert request.checkpoint_note.startswith(expected["origin"] + "\n")
    assert request.body() == body


@pytest.mark.parametrize(
    "body",
    [
        b"old 01\n\nx\n",
        b"old -1\n\nx\n",
        b"old 5\nnot base64!\n\nx\n",
        b"old 5\n",
        b"no old line\n\nlog\n1\nAAAA\n",
        b"old 1"
        + b"\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" * (MAX_PROOF_LINES + 1)
        + b"\n\nx\n",
        b"\xff\xfe",
    ],
)
def test_refuses_malformed_requests_as_bad_requests(body: bytes):
    with pytest.raises(MalformedWitnessRequest) as raised:
        parse_add_checkpoint(body)
    assert isinstance(raised.value, InvalidInput)


def test_cosigns_a_first_checkpoint_from_size_zero(signer, note):
    checkpoint = _check(AddCheckpointRequest(0, (), note(8)), signer, None)
    assert checkpoint.size == 8


def test_cosigns_a_checkpoint_that_extends_the_cosigned_one(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 8, tree.root(8))
    request = AddCheckpointRequest(8, tuple(tree.consistency_proof(8, 13)), note(13))
    assert _check(request, signer, cosigned).size == 13


def test_unknown_origin_is_not_found(note):
    with pytest.raises(UnknownLogOrigin) as raised:
        check_add_checkpoint(AddCheckpointRequest(0, (), note(3)), log_verifiers=[], cosigned=None)
    assert isinstance(raised.value, NotFound)


def test_checkpoint_without_a_trusted_signature_is_forbidden(signer, note):
    impostor = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
    with pytest.raises(UntrustedCheckpoint) as raised:
        _check(AddCheckpointRequest(0, (), note(3, by=impostor)), signer, None)
    assert isinstance(raised.value, Forbidden)


def test_old_size_beyond_the_checkpoint_is_a_bad_request(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 10, tree.root(10))
    with pytest.raises(MalformedWitnessRequest):
        _check(AddCheckpointRequest(10, (), note(5)), signer, cosigned)


def test_stale_old_size_conflicts_and_names_the_cosigned_size(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 10, tree.root(10))
    request = AddCheckpointRequest(8, tuple(tree.consistency_proof(8, 13)), note(13))
    with pytest.raises(WitnessSizeMismatch) as raised:
        _check(request, signer, cosigned)
    assert raised.value.latest_size == 10
    assert isinstance(raised.value, Conflict)


def test_a_rollback_to_a_smaller_tree_is_refused(signer, note, tree):
    # The log presents an older checkpoint claiming the witness is at its size.
    cosigned = CosignedState(ORIGIN, 13, tree.root(13))
    with pytest.raises(WitnessSizeMismatch):
        _check(
            AddCheckpointRequest(5, tuple(tree.consistency_proof(5, 8)), note(8)), signer, cosigned
        )


def test_a_second_root_for_the_cosigned_size_is_a_fork(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 13, tree.root(13))
    forked = note(13, root=bytes(32))
    with pytest.raises(ForkedCheckpoint) as raised:
        _check(AddCheckpointRequest(13, (), forked), signer, cosigned)
    # tlog-witness v1.0.0 text: 409 Conflict (the shared table's 422 is an older reading).
    assert isinstance(raised.value, Conflict)


def test_the_same_checkpoint_again_is_cosigned_again(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 13, tree.root(13))
    assert _check(AddCheckpointRequest(13, (), note(13)), signer, cosigned).size == 13


def test_a_proof_that_does_not_lead_to_the_new_root_is_unprocessable(signer, note, tree):
    cosigned = CosignedState(ORIGIN, 8, tree.root(8))
    other = MemoryTree()
    for i in range(13):
        other.append(f"other {i}".encode())
    request = AddCheckpointRequest(8, tuple(tree.consistency_proof(8, 13)), note(13, other.root()))
    with pytest.raises(ConsistencyProofFailed) as raised:
        _check(request, signer, cosigned)
    assert isinstance(raised.value, VerificationFailed)


def test_size_zero_checkpoints_must_have_the_empty_root(signer, note):
    assert _check(AddCheckpointRequest(0, (), note(0, EMPTY_ROOT)), signer, None).size == 0
    with pytest.raises(ConsistencyProofFailed):
        _check(AddCheckpointRequest(0, (), note(0, bytes(32))), signer, None)


def test_a_proof_from_size_zero_must_be_empty(signer, note, tree):
    with pytest.raises(ConsistencyProofFailed):
        _check(AddCheckpointRequest(0, (tree.root(1),), note(5)), signer, None)


def test_checks_run_in_the_spec_order(signer, note, tree):
    # Forbidden wins over a bad old size: the signature is checked first.
    impostor = Ed25519NoteSigner(ORIGIN, SigningKeyPair.generate())
    cosigned = CosignedState(ORIGIN, 8, tree.root(8))
    with pytest.raises(UntrustedCheckpoint):
        _check(AddCheckpointRequest(99, (), note(13, by=impostor)), signer, cosigned)
    # A bad old size wins over a bad proof.
    with pytest.raises(WitnessSizeMismatch):
        _check(AddCheckpointRequest(3, (bytes(32),), note(13, bytes(32))), signer, cosigned)


def test_cosignature_lines_verify_as_a_note_signature(signer, note):
    text = note(8)
    witness = CosignatureV1Signer("witness.test/w1", SigningKeyPair.generate())
    body = _check(AddCheckpointRequest(0, (), text), signer, None).body()
    lines = format_cosignature_lines([witness.cosign(body, timestamp=1_700_000_000)])
    assert lines.startswith("\u2014 witness.test/w1 ")
    assert lines.endswith("\n")
    opened = open_note(text + lines, [witness.verifier()])
    assert opened.verified[0].timestamp == 1_700_000_000
