"""Free-text identifiers with presidio recognizers, no NLP model, no network.

pytest runs with ``--disable-socket``: any attempt to download a model or a suffix list
would fail these tests, so passing them shows the recognizers work offline.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date

import pytest

from corridor.records.deid import Anonymizer, load_config
from corridor.records.deid.entities import ALL_ENTITIES
from corridor.records.deid.text import PatientIdentity, ScrubText, TextScrubber, build_analyzer
from corridor.records.destinations import CUSTOM_METHODS

CN_RIC = "11010519491231002X"  # valid GB 11643-1999 check character
BAD_RIC = "110105194912310021"  # same digits, wrong check character
IDENTITY = PatientIdentity(
    names=frozenset({"陈大文", "Chan", "Tai Man"}),
    identifiers=frozenset({"MRN-7788"}),
    contacts=frozenset({"88 Nathan Road"}),
)


@pytest.fixture(scope="module")
def scrubber() -> TextScrubber:
    return TextScrubber(analyzer=build_analyzer(IDENTITY))


def test_the_analyzer_loads_no_nlp_model(scrubber: TextScrubber) -> None:
    engine = scrubber.analyzer.nlp_engine
    assert engine.engine_name == "no_op"
    assert engine.nlp == {"en": None}


def test_finds_chinese_resident_ids_only_with_a_valid_check_character(
    scrubber: TextScrubber,
) -> None:
    text = scrubber.scrub(f"身份证号{CN_RIC}，旧号{BAD_RIC}。")  # noqa: RUF001
    assert text == f"身份证号[CN_RESIDENT_ID]，旧号{BAD_RIC}。"  # noqa: RUF001


@pytest.mark.parametrize(
    "number", ["+852 9123 4567", "138 1234 5678", "010-87654321", "+86 139-0000-1111"]
)
def test_finds_mainland_and_hong_kong_phone_numbers(scrubber: TextScrubber, number: str) -> None:
    assert scrubber.scrub(f"电话 {number} 联系") == "电话 [PHONE_NUMBER] 联系"


def test_finds_email_and_ssn(scrubber: TextScrubber) -> None:
    text = scrubber.scrub("mail chan.tm@example.com.hk; SSN 219-09-9999.")
    assert text == "mail [EMAIL_ADDRESS]; SSN [US_SSN]."


def test_finds_the_patients_own_names_and_numbers_even_inside_chinese_text(
    scrubber: TextScrubber,
) -> None:
    text = scrubber.scrub("患者陈大文，MRN-7788，住88 Nathan Road。Mr Chan saw Dr Chandler.")  # noqa: RUF001
    assert text == (
        "患者[PATIENT_NAME]，[PATIENT_IDENTIFIER]，住[PATIENT_CONTACT]。"  # noqa: RUF001
        "Mr [PATIENT_NAME] saw Dr Chandler."
    )


def test_masks_only_the_chosen_entities() -> None:
    names_kept = TextScrubber(
        analyzer=build_analyzer(IDENTITY), entities=ALL_ENTITIES - {"PATIENT_NAME"}
    )
    assert names_kept.scrub("陈大文 138 1234 5678") == "陈大文 [PHONE_NUMBER]"


def test_scrubs_xhtml_text_but_never_the_markup(scrubber: TextScrubber) -> None:
    markup = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p title="Chan">Chan: 138 1234 5678</p></div>'
    )
    assert scrubber.scrub_xhtml(markup) == (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p title="Chan">'
        "[PATIENT_NAME]: [PHONE_NUMBER]</p></div>"
    )


def test_collects_the_identity_from_the_record() -> None:
    patient = {
        "resourceType": "Patient",
        "name": [{"family": "陈", "given": ["大文"]}, {"family": "Chan", "given": ["Tai Man"]}],
        "identifier": [{"value": "MRN-7788"}, {"value": "12"}],
        "telecom": [{"value": "+852 9123 4567"}],
        "address": [{"line": ["88 Nathan Road"], "postalCode": "999077"}],
        "contact": [{"name": {"family": "Wong", "given": ["Mei"]}}],
    }
    identity = PatientIdentity.from_bundle(
        {"resourceType": "Bundle", "entry": [{"resource": patient}]}
    )
    assert {"陈大文", "大文", "Chan", "Tai Man Chan", "Wong"} <= identity.names
    assert "陈" not in identity.names  # one character alone would mask every use of it
    assert identity.identifiers == {"MRN-7788"}  # "12" is too short to search for
    assert {"+852 9123 4567", "88 Nathan Road", "999077"} <= identity.contacts


def _note(text: str, content_type: str = "text/plain; charset=utf-8") -> dict[str, object]:
    raw = text.encode()
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [
            {
                "attachment": {
                    "contentType": content_type,
                    "data": base64.b64encode(raw).decode(),
                    "size": len(raw),
                    "hash": base64.b64encode(
                        hashlib.sha1(raw, usedforsecurity=False).digest()
                    ).decode(),
                }
            }
        ],
    }


def _scrub_text_engine() -> Anonymizer:
    config = load_config(
        {"fhirPathRules": [{"path": "nodesByType('Attachment')", "method": "scrubText"}]},
        custom_methods=CUSTOM_METHODS,
    )
    return Anonymizer(
        config,
        rng=random.Random(1),  # noqa: S311  # seeded: reproducible, not secret
        custom={"scrubText": ScrubText(build_analyzer(IDENTITY))},
    )


def test_scrub_text_rewrites_text_attachments_with_their_size_and_hash() -> None:
    result = _scrub_text_engine().anonymize(_note(f"ID {CN_RIC}"), at=date(2025, 1, 1))
    attachment = result.resource["content"][0]["attachment"]
    raw = base64.b64decode(attachment["data"])
    assert raw == b"ID [CN_RESIDENT_ID]"
    assert attachment["size"] == len(raw)
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(raw, usedforsecurity=False).digest()
    assert result.resource["meta"]["security"][0]["code"] == "REDACTED"


def test_scrub_text_withholds_attachments_it_cannot_read() -> None:
    result = _scrub_text_engine().anonymize(_note("%PDF", "application/pdf"), at=date(2025, 1, 1))
    assert result.resource["content"][0]["attachment"] == {"contentType": "application/pdf"}
