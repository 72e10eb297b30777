import pytest

from corridor.crypto import did_key_from_public
from corridor.identity import WalletError, create_wallet, open_wallet, wallet_info
from corridor.identity.sealing import KdfParameters

FAST = {"memory_kib": 1024}


def test_a_wallet_opens_with_its_passphrase_and_shows_its_did_without_it(tmp_path):
    path = tmp_path / "wallet.json"
    key = create_wallet(path, b"correct horse", **FAST)
    assert open_wallet(path, b"correct horse").public_raw == key.public_raw
    assert wallet_info(path).did == did_key_from_public(key.public)
    assert path.stat().st_mode & 0o077 == 0


def test_a_wallet_is_never_overwritten(tmp_path):
    path = tmp_path / "wallet.json"
    create_wallet(path, b"pw", **FAST)
    with pytest.raises(WalletError, match="never overwritten"):
        create_wallet(path, b"pw", **FAST)


def test_a_wrong_passphrase_or_a_changed_file_is_refused(tmp_path):
    path = tmp_path / "wallet.json"
    create_wallet(path, b"pw", **FAST)
    with pytest.raises(WalletError, match="wrong passphrase"):
        open_wallet(path, b"not it")
    data = bytearray(path.read_bytes())
    index = data.index(b'"ciphertext":"', data.index(b'"key"')) + len(b'"ciphertext":"') + 3
    data[index] = ord("A") if data[index] != ord("A") else ord("B")
    path.chmod(0o600)
    path.write_bytes(bytes(data))
    with pytest.raises(WalletError):
        open_wallet(path, b"pw")


def test_a_file_that_is_not_a_wallet_is_refused(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"format": "something-else"}')
    with pytest.raises(WalletError, match="not a corridor-wallet"):
        wallet_info(path)


def test_key_derivation_parameters_below_the_floor_are_refused():
    with pytest.raises(Exception, match="out of range"):
        KdfParameters(salt=b"s" * 16, memory_kib=8)
