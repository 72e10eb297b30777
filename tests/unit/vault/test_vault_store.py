import hashlib

import pytest

from corridor.vault import FilesystemVault, InvalidObjectId, ObjectCorrupted, ObjectNotFound


def test_object_id_is_the_sha256_of_the_bytes(tmp_path):
    vault = FilesystemVault(tmp_path)
    object_id = vault.put(b"ciphertext")
    assert object_id == hashlib.sha256(b"ciphertext").hexdigest()
    assert vault.get(object_id) == b"ciphertext"
    assert vault.exists(object_id)


def test_storing_the_same_bytes_twice_is_idempotent(tmp_path):
    vault = FilesystemVault(tmp_path)
    assert vault.put(b"x") == vault.put(b"x")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_refuses_a_damaged_object(tmp_path):
    vault = FilesystemVault(tmp_path)
    object_id = vault.put(b"ciphertext")
    path = tmp_path / "objects" / object_id[:2] / object_id
    path.write_bytes(b"ciphertexT")
    with pytest.raises(ObjectCorrupted):
        vault.get(object_id)


def test_missing_object_is_not_found(tmp_path):
    with pytest.raises(ObjectNotFound):
        FilesystemVault(tmp_path).get("00" * 32)


@pytest.mark.parametrize("object_id", ["../../etc/passwd", "AB" * 32, "00" * 31, ""])
def test_refuses_malformed_object_ids(tmp_path, object_id):
    with pytest.raises(InvalidObjectId):
        FilesystemVault(tmp_path).get(object_id)
