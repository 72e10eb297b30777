from corridor.identity import FileKeyStore


def test_keys_are_created_once_and_stored_encrypted(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase")
    first = store.load_or_create()
    again = FileKeyStore(tmp_path / "keys", b"passphrase").load_or_create()
    assert first.signing.public_raw == again.signing.public_raw
    assert first.agreement.public_raw == again.agreement.public_raw
    for path in (tmp_path / "keys").iterdir():
        assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
        assert path.stat().st_mode & 0o077 == 0


def test_named_keys_are_separate_from_the_node_key(tmp_path):
    store = FileKeyStore(tmp_path / "keys", b"passphrase")
    assert store.named_signing_key("log").public_raw != store.load_or_create().signing.public_raw
    assert store.named_signing_key("log").public_raw == store.named_signing_key("log").public_raw
