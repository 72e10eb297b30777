"""Mask direct identifiers: the stage-1 *treatment* de-identification profile.

Pure. A clinician at the recipient hospital needs to know who the patient is, so the
patient's **name, birth date and gender stay**; what identifies him to anyone else goes:

* ``Patient`` and ``RelatedPerson`` (and ``Patient.contact``): every identifier is removed
  (national ID, SSN, passport, driver's licence, insurance numbers, unknown kinds),
  except medical record numbers (v2-0203 ``MR``), which are pseudonymised with
  HMAC-SHA256 under ``pseudonym_key`` when one is given, and removed when not. Telecom
  (phone, e-mail...) and photos are removed. Addresses keep ``use``, ``type``, ``city``,
  ``district``, ``state``, ``country`` and ``period`` (where someone lives matters for
  endemic disease and follow-up) and lose ``line``, ``text``, ``postalCode`` and
  extensions (Synthea puts exact latitude/longitude there): a street address or a
  postcode narrows a person to a household (HIPAA §164.514(b)(2)(i)(B) treats both as
  identifiers). Mother's maiden name goes; birth place is scrubbed like an address.
* When the Patient's resource id equals one of its removed identifiers (Synthea uses the
  MRN as the id), the id is replaced by a pseudonym and every reference to it rewritten.
* Free text in every resource (Narrative ``div``, ``note`` annotations, ``text/*``
  attachments such as DocumentReference notes) is scanned and masked: the values just
  removed, Chinese resident ID numbers (checksum-validated with ``stdnum.cn.ric``), US
  SSN patterns, e-mail addresses and phone numbers valid in CN or HK (``phonenumbers``),
  or written in international form. Attachments whose type is not text cannot be
  scanned, so their data is withheld.

Changed resources get the v3 ObservationValue security labels the Microsoft FHIR
anonymizer adds (``REDACTED``, ``PSEUDED``). The full rule engine is issue 7, stage 2.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from stdnum.cn import ric

from corridor.crypto.canonical import canonical_json

_MRN_CODES = frozenset({"MR", "MRN"})  # HL7 v2 table 0203 "Medical record number"
PSEUDONYM_SYSTEM = "https://corridor.example/fhir/sid/mrn-pseudonym"
_SECURITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
_KEPT_ADDRESS_PARTS = ("use", "type", "city", "district", "state", "country", "period")
_MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
_BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
_PERSON_TYPES = frozenset({"Patient", "RelatedPerson"})
_PHONE_REGIONS = ("CN", "HK")
_MIN_LITERAL_CHARS = 4  # shorter removed values ("1", "MA") would mask ordinary words

# Chinese resident ID: 17 digits and a digit or X check character (GB 11643-1999); the
# look-arounds replace \b, which does not separate digits from Chinese characters.
_RIC = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_SSN = re.compile(r"(?<![0-9])\d{3}-\d{2}-\d{4}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class MaskResult:
    """The masked bundle and how many values were removed, replaced or pseudonymised."""

    bundle: dict[str, Any]
    masked: int


@dataclass
class _Masking:
    pseudonym_key: bytes | None
    removed: set[str] = field(default_factory=set)
    masked: int = 0

    def drop(self, elements: Iterable[Any], *, values: Iterable[Any] = ()) -> None:
        """Count removed ``elements``; remember the identifying ``values`` for free text."""
        self.masked += sum(1 for _ in elements)
        self.removed.update(v for v in values if isinstance(v, str))


def _values_of(elements: Iterable[Any]) -> list[Any]:
    return [e.get("value") for e in elements if isinstance(e, dict)]


def _label(resource: dict[str, Any], code: str) -> None:
    security = resource.setdefault("meta", {}).setdefault("security", [])
    if not any(item.get("code") == code for item in security if isinstance(item, dict)):
        security.append({"system": _SECURITY_SYSTEM, "code": code})


def _is_mrn(identifier: dict[str, Any]) -> bool:
    codings = (
        identifier.get("type", {}).get("coding", [])
        if isinstance(identifier.get("type"), dict)
        else []
    )
    return any(isinstance(c, dict) and c.get("code") in _MRN_CODES for c in codings)


def _pseudonym(key: bytes, system: str, value: str) -> str:
    return hmac.new(key, f"{system}|{value}".encode(), hashlib.sha256).hexdigest()


def _scrub_address(address: Any, state: _Masking) -> Any:
    if not isinstance(address, dict):
        return address
    removed = [name for name in address if name not in _KEPT_ADDRESS_PARTS]
    lines = address.get("line", [])
    state.drop(
        removed,
        values=[
            *(lines if isinstance(lines, list) else []),
            address.get("text"),
            address.get("postalCode"),
        ],
    )
    return {name: address[name] for name in _KEPT_ADDRESS_PARTS if name in address}


def _mask_identifiers(resource: dict[str, Any], state: _Masking) -> bool:
    """Remove identifiers, pseudonymising a Patient's MRNs when a key is given."""
    key = state.pseudonym_key if resource.get("resourceType") == "Patient" else None
    kept: list[dict[str, Any]] = []
    for identifier in resource.pop("identifier", []) or []:
        value = identifier.get("value") if isinstance(identifier, dict) else None
        if key is None or not isinstance(value, str) or not _is_mrn(identifier):
            state.drop([identifier], values=[value])
            continue
        state.removed.add(value)
        state.masked += 1
        system = str(identifier.get("system", ""))
        kept.append(
            {
                "type": identifier["type"],
                "system": PSEUDONYM_SYSTEM,
                "value": _pseudonym(key, system, value),
            }
        )
    if kept:
        resource["identifier"] = kept
    return bool(kept)


def _mask_extensions(resource: dict[str, Any], state: _Masking) -> None:
    extensions: list[Any] = []
    for extension in resource.pop("extension", []) or []:
        url = extension.get("url") if isinstance(extension, dict) else None
        if url == _MAIDEN_NAME:
            state.drop([extension], values=[extension.get("valueString")])
        elif url == _BIRTH_PLACE and "valueAddress" in extension:
            scrubbed = _scrub_address(extension["valueAddress"], state)
            extensions.append({**extension, "valueAddress": scrubbed})
        else:
            extensions.append(extension)
    if extensions:
        resource["extension"] = extensions


def _mask_contact_points(holder: dict[str, Any], state: _Masking) -> None:
    """Remove telecom and photos and scrub the address(es) of a person or contact."""
    telecom = holder.pop("telecom", [])
    state.drop(telecom, values=_values_of(telecom))
    state.drop(holder.pop("photo", []))
    address = holder.get("address")
    if isinstance(address, list):
        holder["address"] = [_scrub_address(item, state) for item in address]
    elif address is not None:
        holder["address"] = _scrub_address(address, state)


def _mask_person(resource: dict[str, Any], state: _Masking) -> None:
    before = state.masked
    pseudonymised = _mask_identifiers(resource, state)
    _mask_contact_points(resource, state)
    _mask_extensions(resource, state)
    for contact in resource.get("contact", []) or []:
        if isinstance(contact, dict):
            _mask_contact_points(contact, state)
    pseudonyms = len(resource.get("identifier", [])) if pseudonymised else 0
    if state.masked > before + pseudonyms:
        _label(resource, "REDACTED")
    if pseudonymised:
        _label(resource, "PSEUDED")


def _new_patient_id(original: dict[str, Any], key: bytes | None) -> str:
    # With a key: a stable pseudonym, so later transfers of the same patient link up at
    # the recipient. Without: a digest of the whole original Patient (names, numbers,
    # address), which nobody can recompute without already holding the record.
    ident = str(original.get("id", ""))
    if key is not None:
        digest = hmac.new(key, b"corridor/patient-id|" + ident.encode(), hashlib.sha256).digest()
    else:
        digest = hashlib.sha256(b"corridor/patient-id|" + canonical_json(original)).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _rewrite_references(value: Any, old: str, new: str) -> None:
    targets = {f"urn:uuid:{old}": f"urn:uuid:{new}", f"Patient/{old}": f"Patient/{new}"}
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                for before, after in targets.items():
                    if item == before or item.endswith("/" + before):
                        value[key] = item[: -len(before)] + after
            else:
                _rewrite_references(item, old, new)
    elif isinstance(value, list):
        for item in value:
            _rewrite_references(item, old, new)


class _TextMasker:
    def __init__(self, literals: set[str]) -> None:
        usable = sorted(
            (v for v in literals if len(v) >= _MIN_LITERAL_CHARS), key=len, reverse=True
        )
        self._literals = re.compile("|".join(re.escape(v) for v in usable)) if usable else None
        self.count = 0

    def _sub(
        self, pattern: re.Pattern[str], text: str, token: str, keep: Callable[[str], bool]
    ) -> str:
        def replace(match: re.Match[str]) -> str:
            if not keep(match.group(0)):
                return match.group(0)
            self.count += 1
            return token

        return pattern.sub(replace, text)

    def mask(self, text: str) -> str:
        if self._literals is not None:
            text = self._sub(self._literals, text, "[REDACTED]", lambda _: True)
        text = self._sub(_RIC, text, "[ID]", ric.is_valid)
        text = self._sub(_SSN, text, "[SSN]", lambda _: True)
        text = self._sub(_EMAIL, text, "[EMAIL]", lambda _: True)
        return self._mask_phones(text)

    def _mask_phones(self, text: str) -> str:
        spans: set[tuple[int, int]] = set()
        for region in _PHONE_REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(text, region):
                spans.add((match.start, match.end))
        for start, end in sorted(spans, reverse=True):
            if "[PHONE]" not in text[start:end]:
                text = text[:start] + "[PHONE]" + text[end:]
                self.count += 1
        return text


def _mask_attachment(attachment: dict[str, Any], masker: _TextMasker) -> bool:
    data = attachment.get("data")
    if not isinstance(data, str):
        return False
    content_type = str(attachment.get("contentType", "")).lower()
    try:
        text = (
            base64.b64decode(data, validate=True).decode("utf-8")
            if content_type.startswith("text/")
            else None
        )
    except (binascii.Error, UnicodeDecodeError):
        text = None
    if text is None:
        # Binary or undecodable content cannot be scanned for identifiers: withhold it.
        attachment.pop("data")
        attachment.pop("hash", None)
        attachment.pop("size", None)
        masker.count += 1
        return True
    masked = masker.mask(text)
    if masked == text:
        return False
    raw = masked.encode("utf-8")
    attachment["data"] = base64.b64encode(raw).decode("ascii")
    if "size" in attachment:
        attachment["size"] = len(raw)
    if "hash" in attachment:
        # Attachment.hash is the base64 SHA-1 of the data (FHIR R4 §2.24.0.8).
        attachment["hash"] = base64.b64encode(
            hashlib.sha1(raw, usedforsecurity=False).digest()
        ).decode()
    return True


def _mask_string(holder: dict[str, Any], key: str, masker: _TextMasker) -> bool:
    original = holder[key]
    holder[key] = masker.mask(original)
    return bool(holder[key] != original)


def _mask_notes(notes: list[Any], masker: _TextMasker) -> bool:
    changed = False
    for note in notes:
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            changed |= _mask_string(note, "text", masker)
    return changed


def _mask_free_text(value: Any, masker: _TextMasker) -> bool:
    """Mask narratives, annotations and text attachments anywhere under ``value``."""
    if isinstance(value, list):
        return any([_mask_free_text(item, masker) for item in value])  # noqa: C419  # visit all
    if not isinstance(value, dict):
        return False
    if "contentType" in value and "data" in value:
        return _mask_attachment(value, masker)
    changed = False
    for key, item in value.items():
        if key == "div" and isinstance(item, str):
            changed |= _mask_string(value, key, masker)
        elif key == "note" and isinstance(item, list):
            changed |= _mask_notes(item, masker)
        elif key != "contained":  # contained resources are masked as resources of their own
            changed |= _mask_free_text(item, masker)
    return changed


def _all_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in bundle.get("entry", []) or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            found.append(resource)
            found.extend(r for r in resource.get("contained", []) or [] if isinstance(r, dict))
    return found


def mask_direct_identifiers(
    bundle: dict[str, Any], *, pseudonym_key: bytes | None = None
) -> MaskResult:
    """Apply the treatment profile to a copy of ``bundle`` (see the module docstring)."""
    out = copy.deepcopy(bundle)
    state = _Masking(pseudonym_key=pseudonym_key)
    resources = _all_resources(out)
    renamed: list[tuple[str, str]] = []
    for resource in resources:
        if resource.get("resourceType") not in _PERSON_TYPES:
            continue
        original = copy.deepcopy(resource)
        _mask_person(resource, state)
        ident = resource.get("id")
        if (
            resource.get("resourceType") == "Patient"
            and isinstance(ident, str)
            and ident in state.removed
        ):
            new = _new_patient_id(original, pseudonym_key)
            resource["id"] = new
            renamed.append((ident, new))
            state.masked += 1
    for old, new in renamed:
        for entry in out.get("entry", []) or []:
            if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str):
                entry["fullUrl"] = entry["fullUrl"].replace(old, new)
        _rewrite_references(out, old, new)
    masker = _TextMasker(state.removed)
    for resource in resources:
        if _mask_free_text({k: v for k, v in resource.items() if k != "contained"}, masker):
            _label(resource, "REDACTED")
    return MaskResult(bundle=out, masked=state.masked + masker.count)
