"""Packs are data files validated at load: a defect is a start-up error, never a decision."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corridor.compliance.errors import PackInvalid, UnknownPack
from corridor.compliance.pack import PACKS_DIR, load_pack, load_packs


def _copy(tmp_path: Path, code: str = "hk") -> Path:
    folder = tmp_path / code
    shutil.copytree(PACKS_DIR / code, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_packs_load_with_distinct_digests(packs):
    assert sorted(packs.packs) == ["CN", "EU", "HK"]
    digests = {pack.digest for pack in packs.packs.values()}
    assert len(digests) == 3
    assert all(d.startswith("sha256:") for d in digests)


def test_the_digest_follows_the_text_of_the_policies(tmp_path):
    folder = _copy(tmp_path)
    before = load_pack(folder).digest
    _edit(folder / "policies.cedar", "// Hong Kong pack", "// The Hong Kong pack")
    assert load_pack(folder).digest != before


def test_places_map_to_the_pack_that_governs_them(packs):
    assert packs.governing("DE").code == "EU"
    assert packs.governing("HK").code == "HK"
    assert packs.governing("SG") is None
    with pytest.raises(UnknownPack):
        packs.get("SG")


def test_a_policy_reading_an_attribute_the_schema_lacks_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "policies.cedar", "context.hk_life_threatening };", "context.hk_typo };")
    with pytest.raises(PackInvalid, match="do not validate"):
        load_pack(folder)


def test_an_optional_context_attribute_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "schema.cedarschema", '"hk_s33_in_force": Bool', '"hk_s33_in_force"?: Bool')
    with pytest.raises(PackInvalid) as refused:
        load_pack(folder)
    assert "must be required" in refused.value.diagnostics()


def test_a_schema_attribute_that_is_not_a_fact_or_mistyped_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "schema.cedarschema", '"hk_s33_in_force": Bool', '"hk_s33_in_force": Long')
    with pytest.raises(PackInvalid) as refused:
        load_pack(folder)
    assert "hk_s33_in_force is Long, expected Bool" in refused.value.diagnostics()


def test_a_policy_without_a_citation_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "policies.cedar", '@cite("PDPO s.2(1)")\n', "")
    with pytest.raises(PackInvalid, match="@id and @cite"):
        load_pack(folder)


def test_a_blocker_without_a_reason_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "policies.cedar", '@reason("s.33 is in force', '@review("s.33 is in force')
    with pytest.raises(PackInvalid, match="@reason"):
        load_pack(folder)


def test_an_obligation_outside_the_catalogue_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "policies.cedar", '@id("HK_SECURITY_DPP4")', '@id("HK_INVENTED_DUTY")')
    with pytest.raises(PackInvalid) as refused:
        load_pack(folder)
    assert "HK_INVENTED_DUTY is not in the pack's catalogue" in refused.value.diagnostics()


def test_a_route_missing_from_the_route_order_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder / "pack.json",
        '"HK-R14-S63C-EMERGENCY",\n        "HK-R10-NEW-PURPOSE"',
        '"HK-R10-NEW-PURPOSE"',
    )
    with pytest.raises(PackInvalid, match=r"inconsistent pack\.json"):
        load_pack(folder)


def test_an_unknown_mechanism_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder / "policies.cedar", '@mechanism("EXEMPTION_PART8")', '@mechanism("EXEMPTION_PART9")'
    )
    with pytest.raises(PackInvalid, match="not a mechanism"):
        load_pack(folder)


def test_a_folder_without_packs_is_refused(tmp_path):
    with pytest.raises(PackInvalid, match="no policy packs"):
        load_packs(tmp_path)


def test_counts_only_compared_with_literals_get_cut_points(packs):
    cuts = packs.get("CN").cuts
    assert cuts["ytd_sensitive_individuals"] == (10_000,)
    assert cuts["ytd_general_individuals"] == (100_000, 1_000_000)
    assert cuts["working_days_since_sc_effective"] == (11,)
