r"""Identifiers in free text: clinical notes, narratives, annotations.

Pure (no clock, no network). The finding is done by ``presidio-analyzer`` recognizers on
an analyzer whose NLP engine is presidio's ``NoOpNlpEngine``: it loads no spaCy or other
model, so nothing is downloaded and only pattern and checksum recognizers run:

* ``CN_RESIDENT_ID``: 18-character resident identity card numbers (GB 11643-1999), kept
  only when the ISO 7064 MOD 11-2 check character is right (``stdnum.cn.ric``);
* ``PHONE_NUMBER``: presidio's ``PhoneRecognizer`` (``phonenumbers``) for numbers valid
  in mainland China or Hong Kong, and any number written in international form;
* ``EMAIL_ADDRESS``: a plain pattern (presidio's own e-mail recognizer checks top-level
  domains with ``tldextract``, which tries to download the suffix list at first use);
* ``US_SSN``: presidio's ``UsSsnRecognizer``;
* ``PATIENT_NAME``, ``PATIENT_IDENTIFIER``, ``PATIENT_CONTACT``: the patient's (and his
  related persons') own names, record numbers, phone numbers, e-mail and address lines
  taken from the record itself. These are explicit escaped alternations, not presidio's
  ``deny_list``, whose ``\W`` boundaries never match inside Chinese text (after 患者 in
  "患者陈大文").

Found spans are replaced by ``[ENTITY_TYPE]``. In XHTML only text between tags is
scanned, so markup stays well formed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import PhoneRecognizer, UsSsnRecognizer
from stdnum.cn import ric

from corridor.records.deid.config import MethodSettings, Rule
from corridor.records.deid.entities import (
    ALL_ENTITIES,
    CN_RESIDENT_ID,
    EMAIL_ADDRESS,
    PATIENT_CONTACT,
    PATIENT_IDENTIFIER,
    PATIENT_NAME,
    check_entities,
)
from corridor.records.deid.operations import REDACT, OperationContext
from corridor.records.deid.tree import Element

_LANGUAGE = "en"  # the recognizers are patterns; the language code only selects them
_PHONE_REGIONS = ("CN", "HK")
# Look-arounds instead of \b: Chinese characters are word characters too (see above).
_RIC_PATTERN = (
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9A-Za-z])"
)
_EMAIL_PATTERN = (
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_MIN_LATIN_LITERAL = 3  # shorter values ("Al", "MA") would mask ordinary words
_MIN_CJK_LITERAL = 2  # a one-character surname alone would mask every use of the character
_TAG = re.compile(r"(<[^>]*>)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TEXT_TYPES = frozenset({"string", "markdown", "xhtml"})


class _ResidentIdRecognizer(PatternRecognizer):
    """Chinese resident ID numbers whose check character is right."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity=CN_RESIDENT_ID,
            name="CnResidentIdRecognizer",
            supported_language=_LANGUAGE,
            patterns=[Pattern("cn_resident_id", _RIC_PATTERN, 0.5)],
            context=["身份证", "身份證", "resident", "identity"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        """ISO 7064 MOD 11-2 check (``stdnum.cn.ric``): a wrong check character is no ID."""
        return bool(ric.is_valid(pattern_text))


@dataclass(frozen=True)
class PatientIdentity:
    """What identifies the patient in his own record, to be found again in free text."""

    names: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()

    @classmethod
    def from_bundle(cls, bundle: dict[str, Any]) -> PatientIdentity:
        """Collect from the Patient and RelatedPerson resources of ``bundle`` (or a resource)."""
        names: set[str] = set()
        identifiers: set[str] = set()
        contacts: set[str] = set()
        for resource in _people(bundle):
            holders = [
                resource,
                *[c for c in resource.get("contact", []) or [] if isinstance(c, dict)],
            ]
            for holder in holders:
                for name in _as_list(holder.get("name")):
                    names.update(_name_forms(name))
                for point in _as_list(holder.get("telecom")):
                    contacts.add(str(point.get("value", "")))
                for address in _as_list(holder.get("address")):
                    lines = address.get("line")
                    if isinstance(lines, list):
                        contacts.update(line for line in lines if isinstance(line, str))
                    contacts.update(str(address.get(k, "")) for k in ("text", "postalCode"))
            for identifier in _as_list(resource.get("identifier")):
                identifiers.add(str(identifier.get("value", "")))
        return cls(
            names=frozenset(_usable(names)),
            identifiers=frozenset(_usable(identifiers)),
            contacts=frozenset(_usable(contacts)),
        )


def _people(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    candidates = [bundle] + [
        e.get("resource") for e in bundle.get("entry", []) or [] if isinstance(e, dict)
    ]
    for resource in candidates:
        if isinstance(resource, dict) and resource.get("resourceType") in {
            "Patient",
            "RelatedPerson",
        }:
            yield resource


def _as_list(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _name_forms(name: dict[str, Any]) -> set[str]:
    family = str(name.get("family", "") or "")
    given = [str(g) for g in name.get("given", []) or [] if isinstance(g, str)]
    forms = {family, *given, str(name.get("text", "") or "")}
    if family and given:
        forms.update({f"{' '.join(given)} {family}", f"{family} {' '.join(given)}"})
        forms.add(family + "".join(given))  # Chinese order, no space: 陈大文
    return forms


def _usable(values: Iterable[str]) -> set[str]:
    usable: set[str] = set()
    for value in values:
        text = value.strip()
        minimum = _MIN_CJK_LITERAL if _CJK.search(text) else _MIN_LATIN_LITERAL
        if len(text) >= minimum:
            usable.add(text)
    return usable


def _literal_recognizer(entity: str, values: frozenset[str]) -> PatternRecognizer | None:
    if not values:
        return None
    ordered = sorted(values, key=len, reverse=True)  # longest first: "Tai Man Chan" before "Chan"
    # ASCII look-arounds keep "Chan" out of "Chandler" but still match it next to Chinese.
    alternation = "|".join(re.escape(value) for value in ordered)
    pattern = rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])"
    return PatternRecognizer(
        supported_entity=entity,
        name=f"{entity.title().replace('_', '')}Recognizer",
        supported_language=_LANGUAGE,
        patterns=[Pattern(entity.lower(), pattern, 1.0)],
    )


def build_analyzer(identity: PatientIdentity | None = None) -> AnalyzerEngine:
    """A presidio analyzer with Corridor's recognizers and no NLP model at all."""
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": _LANGUAGE, "model_name": "none"}])
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=[_LANGUAGE])
    registry.add_recognizer(_ResidentIdRecognizer())
    registry.add_recognizer(
        PhoneRecognizer(
            supported_regions=_PHONE_REGIONS,
            supported_language=_LANGUAGE,
            context=["电话", "電話", "手机", "手機", "phone", "tel", "mobile"],
        )
    )
    registry.add_recognizer(
        PatternRecognizer(
            supported_entity=EMAIL_ADDRESS,
            name="EmailPatternRecognizer",
            supported_language=_LANGUAGE,
            patterns=[Pattern("email", _EMAIL_PATTERN, 1.0)],
        )
    )
    registry.add_recognizer(UsSsnRecognizer(supported_language=_LANGUAGE))
    if identity is not None:
        for entity, values in (
            (PATIENT_NAME, identity.names),
            (PATIENT_IDENTIFIER, identity.identifiers),
            (PATIENT_CONTACT, identity.contacts),
        ):
            recognizer = _literal_recognizer(entity, values)
            if recognizer is not None:
                registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[_LANGUAGE],
        default_score_threshold=0.0,
    )


@dataclass
class TextScrubber:
    """Finds the chosen entities in text and replaces them with ``[ENTITY]``."""

    analyzer: AnalyzerEngine
    entities: frozenset[str] = ALL_ENTITIES
    replaced: int = field(default=0)

    def scrub(self, text: str) -> str:
        """``text`` with every span of the chosen entities replaced."""
        if not text:
            return text
        results = self.analyzer.analyze(
            text=text, language=_LANGUAGE, entities=sorted(self.entities)
        )
        spans = _merge([(r.start, r.end, r.entity_type, r.score) for r in results])
        for start, end, entity in reversed(spans):
            text = f"{text[:start]}[{entity}]{text[end:]}"
            self.replaced += 1
        return text

    def scrub_xhtml(self, markup: str) -> str:
        """As :meth:`scrub`, on the text between tags only."""
        parts = _TAG.split(markup)
        return "".join(part if _TAG.fullmatch(part) else self.scrub(part) for part in parts)


def _merge(spans: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str]]:
    """Overlapping findings become one span named by the longest, then surest, finding."""
    merged: list[tuple[int, int, str, float, int]] = []
    for start, end, entity, score in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            best = (end - start, score) > (last[4], last[3])
            merged[-1] = (
                last[0],
                max(last[1], end),
                entity if best else last[2],
                max(score, last[3]),
                max(end - start, last[4]),
            )
        else:
            merged.append((start, end, entity, score, end - start))
    return [(start, end, entity) for start, end, entity, _score, _len in merged]


class ScrubText:
    """The custom method ``scrubText``: mask identifiers in text elements and attachments.

    On ``string``, ``markdown`` and ``xhtml`` elements the text is scrubbed; on an
    ``Attachment`` the ``text/*`` data is decoded, scrubbed and encoded again (its
    ``size`` and ``hash`` follow, FHIR R4 §2.24.0.8); data that is not text cannot be
    read for identifiers and is withheld. Rule setting ``entities`` narrows what is
    masked (default: all of :data:`ALL_ENTITIES`).
    """

    settings = MethodSettings(keys=frozenset({"entities"}), check=check_entities)

    def __init__(self, analyzer: AnalyzerEngine) -> None:
        self._analyzer = analyzer
        self._scrubbers: dict[frozenset[str], TextScrubber] = {}

    def __call__(self, node: Element, rule: Rule, _context: OperationContext) -> str | None:
        """Scrub ``node``; returns ``REDACT`` when something was masked or withheld."""
        scrubber = self._scrubber(rule)
        if node.type == "Attachment" and node.obj is not None:
            return REDACT if _scrub_attachment(node.obj, scrubber) else None
        if node.type not in _TEXT_TYPES or not isinstance(node.value, str):
            return None
        before = node.value
        after = scrubber.scrub_xhtml(before) if node.type == "xhtml" else scrubber.scrub(before)
        if after == before:
            return None
        node.set_value(after)
        return REDACT

    def _scrubber(self, rule: Rule) -> TextScrubber:
        wanted = rule.settings.get("entities")
        entities = frozenset(wanted) if isinstance(wanted, list) else ALL_ENTITIES
        if entities not in self._scrubbers:
            self._scrubbers[entities] = TextScrubber(analyzer=self._analyzer, entities=entities)
        return self._scrubbers[entities]


def _scrub_attachment(attachment: dict[str, Any], scrubber: TextScrubber) -> bool:
    data = attachment.get("data")
    if not isinstance(data, str):
        return False
    content_type = str(attachment.get("contentType", "")).lower()
    text: str | None = None
    if content_type.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = None
    if text is None:
        for name in ("data", "hash", "size"):
            attachment.pop(name, None)
        return True
    masked = scrubber.scrub_xhtml(text) if "html" in content_type else scrubber.scrub(text)
    if masked == text:
        return False
    raw = masked.encode("utf-8")
    attachment["data"] = base64.b64encode(raw).decode("ascii")
    if "size" in attachment:
        attachment["size"] = len(raw)
    if "hash" in attachment:
        # Attachment.hash is the Base64 SHA-1 of the data (FHIR R4 §2.24.0.8).
        digest = hashlib.sha1(raw, usedforsecurity=False).digest()
        attachment["hash"] = base64.b64encode(digest).decode("ascii")
    return True
