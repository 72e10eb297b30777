import json

import pytest

from corridor.enclave import EvidenceRejected, der
from corridor.enclave.dcap import (
    NO_MATCHING_LEVEL,
    PckExtensions,
    appraise_qe,
    appraise_tdx_tcb,
    top_level_members,
)

SEAM_SIGNER = bytes(48)
SEAM_ATTRIBUTES = bytes(8)


@pytest.fixture
def tcb_info_v5(asset):
    """TDX 1.5 TCB info (FMSPC 90c06f000000) with TDX module identities TDX_01 and TDX_03."""
    return json.loads(asset("tee/tdx-v5/sample_tcbinfo_response_v5").read_bytes())["tcbInfo"]


@pytest.fixture
def qe_identity(asset):
    return json.loads(asset("tee/tdx/sample_qeIdentity_response").read_bytes())["enclaveIdentity"]


def _pck(components=(3, 3, 2, 2, 4, 1, 0, 5), pce_svn=13, fmspc="90c06f000000"):
    return PckExtensions(
        ppid=bytes(16),
        component_svns=(*components, *([0] * (16 - len(components)))),
        pce_svn=pce_svn,
        cpu_svn=bytes(16),
        pce_id="0000",
        fmspc=fmspc,
        sgx_type=1,
    )


def _tee_tcb_svn(module_svn, module_version, *rest):
    return bytes([module_svn, module_version, *rest, *([0] * (14 - len(rest)))])


def _appraise(tcb_info, pck=None, tee_tcb_svn=None, **overrides):
    return appraise_tdx_tcb(
        tcb_info,
        pck=pck or _pck(),
        tee_tcb_svn=tee_tcb_svn or _tee_tcb_svn(6, 1, 3),
        mrsignerseam=overrides.get("mrsignerseam", SEAM_SIGNER),
        seam_attributes=overrides.get("seam_attributes", SEAM_ATTRIBUTES),
    )


def test_current_platform_and_module_are_up_to_date(tcb_info_v5):
    assert _appraise(tcb_info_v5) == ("UpToDate", ())


def test_an_old_tdx_module_makes_the_status_out_of_date(tcb_info_v5):
    # TDX 1.5: TEE_TCB_SVN[0..1] name the module (TDX_01, ISVSVN 4: OutOfDate).
    status, _ = _appraise(tcb_info_v5, tee_tcb_svn=_tee_tcb_svn(4, 1, 3))
    assert status == "OutOfDate"


def test_older_cpu_components_match_a_lower_level_with_its_advisories(tcb_info_v5):
    status, advisories = _appraise(tcb_info_v5, pck=_pck(components=(2, 2, 2, 2, 3, 1, 0, 5)))
    assert status == "OutOfDate"
    assert advisories == tuple(tcb_info_v5["tcbLevels"][1].get("advisoryIDs", []))


def test_a_platform_below_every_level_has_no_matching_level(tcb_info_v5):
    assert _appraise(tcb_info_v5, pck=_pck(pce_svn=4)) == (NO_MATCHING_LEVEL, ())


def test_an_unknown_tdx_module_version_is_refused(tcb_info_v5):
    with pytest.raises(EvidenceRejected) as caught:
        _appraise(tcb_info_v5, tee_tcb_svn=_tee_tcb_svn(6, 2, 3))
    assert caught.value.reason == "tcb-mismatch"


def test_tcb_info_for_another_platform_is_refused(tcb_info_v5):
    with pytest.raises(EvidenceRejected) as caught:
        _appraise(tcb_info_v5, pck=_pck(fmspc="50806f000000"))
    assert caught.value.reason == "tcb-mismatch"


@pytest.mark.parametrize(
    "override",
    [{"mrsignerseam": bytes([1]) + bytes(47)}, {"seam_attributes": bytes([0, 0, 0, 1]) + bytes(4)}],
)
def test_a_foreign_tdx_module_is_refused(tcb_info_v5, override):
    with pytest.raises(EvidenceRejected) as caught:
        _appraise(tcb_info_v5, **override)
    assert caught.value.reason == "tcb-mismatch"


def _qe(qe_identity, **overrides):
    values = {
        "miscselect": 0,
        "attributes": bytes.fromhex("11000000000000000000000000000000"),
        "mrsigner": bytes.fromhex(qe_identity["mrsigner"]),
        "isv_prod_id": 2,
        "isv_svn": 4,
    }
    values.update(overrides)
    return appraise_qe(qe_identity, **values)


def test_intels_quoting_enclave_is_up_to_date(qe_identity):
    assert _qe(qe_identity) == "UpToDate"


def test_an_older_quoting_enclave_has_no_matching_level(qe_identity):
    assert _qe(qe_identity, isv_svn=3) == NO_MATCHING_LEVEL


@pytest.mark.parametrize(
    "override",
    [
        {"mrsigner": bytes(32)},
        {"isv_prod_id": 1},
        {"attributes": bytes(16)},
        {"miscselect": 1},
    ],
)
def test_a_quoting_enclave_that_is_not_intels_is_refused(qe_identity, override):
    with pytest.raises(EvidenceRejected) as caught:
        _qe(qe_identity, **override)
    assert caught.value.reason == "tcb-mismatch"


def test_json_members_keep_the_exact_bytes_that_were_signed():
    body = b'{ "tcbInfo" : {"b":1,  "a":[2, 3]} , "signature":"00"}\n'
    members = top_level_members(body)
    assert members["tcbInfo"] == ({"b": 1, "a": [2, 3]}, b'{"b":1,  "a":[2, 3]}')
    assert members["signature"] == ("00", b'"00"')


@pytest.mark.parametrize(
    "body",
    [
        b'{"tcbInfo":{},"tcbInfo":{}}',
        b'{"tcbInfo":{"a":1,"a":2}}',
        b'{"tcbInfo":{}} trailing',
        b'["tcbInfo"]',
        b'{"tcbInfo":{}',
    ],
)
def test_json_that_is_ambiguous_or_malformed_is_refused(body):
    with pytest.raises(EvidenceRejected) as caught:
        top_level_members(body)
    assert caught.value.reason == "bad-collateral"


def test_der_reader_decodes_the_pck_extension_shape():
    pair = bytes.fromhex("300d") + bytes.fromhex("06082a864886f84d0d01") + bytes.fromhex("020105")
    sequence = der.decode(bytes([0x30, len(pair)]) + pair)
    members = der.oid_map(sequence)
    assert members == {"1.2.840.113741.13.1": der.Node(tag=der.INTEGER, content=b"\x05")}
    assert members["1.2.840.113741.13.1"].as_int() == 5


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("0201"),  # truncated
        bytes.fromhex("02010500"),  # trailing byte
        bytes.fromhex("02810105"),  # long form for a short length
        bytes.fromhex("0280"),  # indefinite length
    ],
)
def test_der_reader_refuses_what_der_forbids(data):
    with pytest.raises(EvidenceRejected):
        der.decode(data)
