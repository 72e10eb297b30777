import pytest

from corridor.vault import (
    FilesystemVault,
    InvalidObjectMetadata,
    ObjectCorrupted,
    ObjectNotFound,
    ObjectTooLarge,
    VaultContext,
    get_object,
    list_objects,
    put_object,
)

# Alembic 1.16+ warns when storage/migrate.py sets no path_separator (shared module, reported).
pytestmark = pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")
TRANSFER = "transfer-0001-abcd"


@pytest.fixture
def context(database, tmp_path):
    return VaultContext(database=database, store=FilesystemVault(tmp_path / "vault"))


def test_put_then_get_returns_the_bytes(context):
    stored = put_object(context=context, data=b"sealed", transfer=TRANSFER, kind="record")
    assert stored.size == 6
    assert get_object(context=context, object_id=stored.object_id) == b"sealed"


def test_put_is_idempotent_per_transfer_and_kind(context):
    put_object(context=context, data=b"sealed", transfer=TRANSFER, kind="record")
    put_object(context=context, data=b"sealed", transfer=TRANSFER, kind="record")
    put_object(context=context, data=b"sealed", transfer="transfer-0002-abcd", kind="record")
    assert len(list_objects(context=context, transfer=TRANSFER)) == 1
    assert len(list_objects(context=context)) == 2


def test_lists_metadata_of_one_transfer(context):
    put_object(context=context, data=b"in", transfer=TRANSFER, kind="record")
    put_object(context=context, data=b"out", transfer=TRANSFER, kind="output")
    kinds = sorted(item.kind for item in list_objects(context=context, transfer=TRANSFER))
    assert kinds == ["output", "record"]
    assert all(item.created_at.tzinfo is not None for item in list_objects(context=context))


def test_unrecorded_object_is_not_served(context):
    object_id = context.store.put(b"stray file")
    with pytest.raises(ObjectNotFound):
        get_object(context=context, object_id=object_id)


def test_damaged_object_is_refused(context, tmp_path):
    stored = put_object(context=context, data=b"sealed", transfer=TRANSFER, kind="record")
    path = tmp_path / "vault" / "objects" / stored.object_id[:2] / stored.object_id
    path.write_bytes(b"tampered")
    with pytest.raises(ObjectCorrupted):
        get_object(context=context, object_id=stored.object_id)


def test_refuses_oversize_objects(database, tmp_path):
    context = VaultContext(database=database, store=FilesystemVault(tmp_path), max_object_bytes=4)
    with pytest.raises(ObjectTooLarge):
        put_object(context=context, data=b"12345", transfer=TRANSFER, kind="record")


@pytest.mark.parametrize(("transfer", "kind"), [("short", "record"), (TRANSFER, "plaintext")])
def test_refuses_bad_metadata(context, transfer, kind):
    with pytest.raises(InvalidObjectMetadata):
        put_object(context=context, data=b"x", transfer=transfer, kind=kind)
