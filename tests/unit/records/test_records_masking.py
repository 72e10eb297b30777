from __future__ import annotations

import base64
import copy
import json
from typing import Any

from corridor.records import mask_direct_identifiers, parse_bundle
from corridor.records.masking import PSEUDONYM_SYSTEM

# A valid Chinese resident ID (GB 11643-1999 check digit) and a valid HK mobile number.
CN_RIC = "11010519491231002X"
HK_PHONE = "+852 9123 4567"
# Full-width punctuation is how Chinese notes are written.
NOTE = (
    f"患者陈大文，身份证号{CN_RIC}，电话 {HK_PHONE}。"  # noqa: RUF001
    " Backup contact chan@example.com, SSN 123-45-6789. Lives at 88 Nathan Road."
)


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    """A FHIR collection Bundle whose entries have urn:uuid fullUrls."""
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "MRN-7788",
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "system": "https://hospital-a.example/mrn",
                "value": "MRN-7788",
            },
            {"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "574687583"},
        ],
        "name": [{"family": "Chan", "given": ["Tai Man"]}],
        "birthDate": "1970-01-02",
        "telecom": [{"system": "phone", "value": "+86 138 0013 8000"}],
        "address": [
            {"line": ["88 Nathan Road"], "city": "Kowloon", "postalCode": "999077", "country": "HK"}
        ],
        "contact": [
            {
                "name": {"family": "Chan"},
                "telecom": [{"system": "email", "value": "mum@example.com"}],
            }
        ],
    }


def _note() -> dict[str, Any]:
    data = base64.b64encode(NOTE.encode()).decode()
    return {
        "resourceType": "DocumentReference",
        "id": "doc1",
        "status": "current",
        "subject": {"reference": "urn:uuid:MRN-7788"},
        "content": [
            {"attachment": {"contentType": "text/plain; charset=utf-8", "data": data, "size": 1}}
        ],
    }


def _bundle() -> dict[str, Any]:
    return collection(_patient(), _note())


def _text(bundle: dict[str, Any]) -> str:
    attachment = bundle["entry"][1]["resource"]["content"][0]["attachment"]
    return base64.b64decode(attachment["data"]).decode()


def test_keeps_name_and_birth_date_and_removes_direct_identifiers() -> None:
    result = mask_direct_identifiers(_bundle())
    patient = result.bundle["entry"][0]["resource"]
    assert patient["name"] == [{"family": "Chan", "given": ["Tai Man"]}]
    assert patient["birthDate"] == "1970-01-02"
    assert "identifier" not in patient
    assert "telecom" not in patient
    assert patient["address"] == [{"city": "Kowloon", "country": "HK"}]
    assert "telecom" not in patient["contact"][0]
    assert {"code": "REDACTED"}.items() <= patient["meta"]["security"][0].items()
    assert result.masked >= 7
    parse_bundle(json.dumps(result.bundle).encode())


def test_masks_identifiers_in_free_text_notes() -> None:
    text = _text(mask_direct_identifiers(_bundle()).bundle)
    for secret in (CN_RIC, "9123 4567", "chan@example.com", "123-45-6789", "88 Nathan Road"):
        assert secret not in text
    assert "[ID]" in text
    assert "[PHONE]" in text
    assert "患者陈大文" in text  # names stay: treatment needs them


def test_pseudonymises_the_mrn_with_a_key_and_renames_the_patient() -> None:
    key = b"k" * 32
    result = mask_direct_identifiers(_bundle(), pseudonym_key=key)
    patient = result.bundle["entry"][0]["resource"]
    assert patient["identifier"] == [
        {
            "type": _patient()["identifier"][0]["type"],
            "system": PSEUDONYM_SYSTEM,
            "value": patient["identifier"][0]["value"],
        }
    ]
    assert patient["identifier"][0]["value"] != "MRN-7788"
    assert patient["id"] != "MRN-7788"
    assert result.bundle["entry"][0]["fullUrl"] == f"urn:uuid:{patient['id']}"
    note = result.bundle["entry"][1]["resource"]
    assert note["subject"]["reference"] == f"urn:uuid:{patient['id']}"
    codes = {label["code"] for label in patient["meta"]["security"]}
    assert codes == {"REDACTED", "PSEUDED"}
    again = mask_direct_identifiers(_bundle(), pseudonym_key=key).bundle
    assert again["entry"][0]["resource"]["identifier"] == patient["identifier"]


def test_drops_the_mrn_without_a_key() -> None:
    result = mask_direct_identifiers(_bundle())
    patient = result.bundle["entry"][0]["resource"]
    assert "MRN-7788" not in json.dumps(result.bundle)
    assert patient["id"] != "MRN-7788"


def test_does_not_touch_its_input() -> None:
    bundle = _bundle()
    before = copy.deepcopy(bundle)
    mask_direct_identifiers(bundle)
    assert bundle == before


def test_withholds_attachments_it_cannot_scan() -> None:
    note = _note()
    note["content"][0]["attachment"] = {"contentType": "application/pdf", "data": "JVBERi0="}
    result = mask_direct_identifiers(collection(_patient(), note))
    assert "data" not in result.bundle["entry"][1]["resource"]["content"][0]["attachment"]


def test_removes_every_identifier_the_synthea_patient_carries(synthea: dict[str, Any]) -> None:
    patient = synthea["entry"][0]["resource"]
    secrets = [i["value"] for i in patient["identifier"]]
    secrets += [t["value"] for t in patient["telecom"]]
    secrets += patient["address"][0]["line"]
    masked = json.dumps(mask_direct_identifiers(synthea, pseudonym_key=b"x" * 32).bundle)
    for secret in secrets:
        assert secret not in masked
    assert patient["name"][0]["family"] in masked
    assert patient["birthDate"] in masked


def test_masks_the_ips_patient(ips: dict[str, Any]) -> None:
    result = mask_direct_identifiers(ips)
    text = json.dumps(result.bundle)
    for secret in ("574687583", "+31788700800", "Laan Van Europa 1600", "3317 DB", "+33-555-20036"):
        assert secret not in text
    assert "DeLarosa" in text
    parse_bundle(text.encode())
