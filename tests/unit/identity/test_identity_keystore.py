import logging

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from corridor.crypto import SigningKeyPair
from corridor.identity import FileKeyStore, KeyStoreLocked, SqlKeyStore
from corridor.identity.errors import KeyStoreCorrupted

FAST = {"memory_kib": 1024}  # Argon2id cost kept low in tests; the default is OWASP's


def _private_hex(key: SigningKeyPair) -> str:
    raw = key.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return raw.hex()


def test_keys_are_created_once_and_stored_sealed(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    first = store.load_or_create()
    again = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST).load_or_create()
    assert first.signing.public_raw == again.signing.public_raw
    assert first.agreement.public_raw == again.agreement.public_raw
    secret = _private_hex(first.signing)
    for path in (tmp_path / "keys").iterdir():
        data = path.read_bytes()
        assert secret not in data.hex()
        assert b"argon2id" in data or b"corridor-sealed-key/1" in data
        assert path.stat().st_mode & 0o077 == 0


def test_a_wrong_passphrase_is_refused_clearly(tmp_path):
    FileKeyStore(tmp_path / "keys", b"passphrase", **FAST).load_or_create()
    with pytest.raises(KeyStoreLocked, match="wrong passphrase"):
        FileKeyStore(tmp_path / "keys", b"another", **FAST).load_or_create()


def test_a_sealed_key_moved_under_another_name_does_not_open(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    store.load_or_create()
    store.named_signing_key("log")
    folder = tmp_path / "keys"
    (folder / "named-log.json").write_bytes((folder / "signing-1.json").read_bytes())
    with pytest.raises(KeyStoreCorrupted):
        FileKeyStore(folder, b"passphrase", **FAST).named_signing_key("log")


def test_a_changed_ciphertext_fails_authentication(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    store.load_or_create()
    path = tmp_path / "keys" / "signing-1.json"
    text = path.read_text()
    marker = '"ciphertext":"'
    at = text.index(marker) + len(marker)
    flipped = "A" if text[at] != "A" else "B"
    path.chmod(0o600)
    path.write_text(text[:at] + flipped + text[at + 1 :])
    with pytest.raises(KeyStoreLocked):
        FileKeyStore(tmp_path / "keys", b"passphrase", **FAST).load_or_create()


def test_named_keys_are_separate_from_the_node_key(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    assert store.named_signing_key("log").public_raw != store.load_or_create().signing.public_raw
    assert store.named_signing_key("log").public_raw == store.named_signing_key("log").public_raw


def test_rotation_makes_a_new_current_key_and_keeps_the_old_one_as_retired(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    first = store.load_or_create()
    rotated = store.rotate_signing_key()
    assert rotated.signing_version == 2
    assert rotated.signing_fragment == "key-2"
    assert rotated.retired == ((1, first.signing.public_raw),)
    assert rotated.agreement.public_raw == first.agreement.public_raw
    reopened = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST).load_or_create()
    assert reopened.signing.public_raw == rotated.signing.public_raw


def test_keys_written_as_encrypted_pem_by_earlier_versions_are_resealed(tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir()
    legacy = SigningKeyPair.generate()
    (folder / "signing.pem").write_bytes(legacy.to_encrypted_pem(b"passphrase"))
    keys = FileKeyStore(folder, b"passphrase", **FAST).load_or_create()
    assert keys.signing.public_raw == legacy.public_raw
    assert not (folder / "signing.pem").exists()


def test_stores_and_keys_never_show_private_material(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = FileKeyStore(tmp_path / "keys", b"passphrase", **FAST)
    keys = store.load_or_create()
    secret = _private_hex(keys.signing)
    shown = " ".join([repr(store), repr(keys), str(keys), caplog.text])
    assert secret not in shown
    assert "passphrase" not in shown


def test_the_database_store_seals_keys_in_the_node_database(database):
    store = SqlKeyStore(database, b"passphrase", **FAST)
    first = store.load_or_create()
    again = SqlKeyStore(database, b"passphrase", **FAST).load_or_create()
    assert again.signing.public_raw == first.signing.public_raw
    rotated = store.rotate_signing_key()
    assert rotated.retired == ((1, first.signing.public_raw),)
    with pytest.raises(KeyStoreLocked):
        SqlKeyStore(database, b"wrong", **FAST).load_or_create()
    with database.engine.connect() as conn:
        stored = " ".join(conn.execute(text("SELECT sealed FROM identity_keys")).scalars())
    assert _private_hex(first.signing) not in stored
