"""The configuration language of Microsoft's FHIR anonymizer, read and checked.

Pure. A configuration is the JSON the Microsoft tool reads
(``docs/FHIR-anonymization.md`` upstream): ``fhirVersion``, ``processingErrors``
(``raise`` or ``skip``), ``fhirPathRules`` (each a ``path`` and a ``method`` among keep,
redact, dateShift, cryptoHash, encrypt, substitute, perturb, generalize, plus the
method's settings) and ``parameters``. Every check upstream's
``AnonymizerConfigurationValidator`` makes is made here, and a few more (unknown keys,
setting types), because a typo in a privacy configuration must not pass silently. A
refusal names the rule by position, path and method.

Methods beyond the eight are *custom methods* (upstream's ``IAnonymizerProcessorFactory``
extension point); the caller declares them with the setting keys they accept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from corridor.crypto.canonical import canonical_json
from corridor.records.deid.paths import PathEngine, PathError, RulePath
from corridor.records.errors import InvalidDeidConfig

BUILTIN_METHODS = frozenset(
    {"keep", "redact", "dateshift", "cryptohash", "encrypt", "substitute", "perturb", "generalize"}
)
_TOP_LEVEL = frozenset({"fhirVersion", "processingErrors", "fhirPathRules", "parameters"})
_PARAMETERS = frozenset(
    {
        "dateShiftKey",
        "dateShiftScope",
        "dateShiftFixedOffsetInDays",
        "cryptoHashKey",
        "encryptKey",
        "enablePartialAgesForRedact",
        "enablePartialDatesForRedact",
        "enablePartialZipCodesForRedact",
        "restrictedZipCodeTabulationAreas",
        "customSettings",
    }
)
_METHOD_SETTINGS: dict[str, frozenset[str]] = {
    "substitute": frozenset({"replaceWith"}),
    "perturb": frozenset({"span", "rangeType", "roundTo"}),
    "generalize": frozenset({"cases", "otherValues"}),
}
_SCOPES: dict[str, Literal["resource", "file", "folder"]] = {
    "resource": "resource",
    "file": "file",
    "folder": "folder",
}
_AES_KEY_BYTES = (16, 24, 32)  # AES-128/192/256 (upstream IsValidKeySize)
_MAX_ROUND_TO = 28  # System.Decimal's largest scale, upstream's bound for roundTo


@dataclass(frozen=True)
class MethodSettings:
    """What a custom method accepts: its setting keys, and a check of their values."""

    keys: frozenset[str] = frozenset()
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    """Returns why the rule's settings are wrong, or ``None``."""


@dataclass(frozen=True)
class Parameters:
    """``parameters``: keys and switches shared by the rules."""

    date_shift_key: str = ""
    date_shift_scope: Literal["resource", "file", "folder"] = "resource"
    date_shift_fixed_offset_days: int | None = None
    crypto_hash_key: str = ""
    encrypt_key: str = ""
    partial_ages: bool = False
    partial_dates: bool = False
    partial_zip_codes: bool = False
    restricted_zip_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Generalization:
    """A generalize rule's compiled ``cases`` (condition -> value) and ``otherValues``."""

    cases: tuple[tuple[Any, Any, str], ...]
    """``(condition, value expression, value text)`` in file order."""
    other_values: Literal["redact", "keep"] = "redact"


@dataclass(frozen=True)
class Perturbation:
    """A perturb rule's noise: ``span``, ``fixed`` or ``proportional`` range, rounding."""

    span: float
    proportional: bool = False
    round_to: int = 2


@dataclass(frozen=True)
class Rule:
    """One ``fhirPathRules`` entry, checked and compiled."""

    position: int
    path: RulePath
    method: str
    """The method name in lower case (``dateshift``, ``cryptohash``...)."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    generalization: Generalization | None = None
    perturbation: Perturbation | None = None

    def describe(self) -> str:
        """``fhirPathRules[3] ('Patient.name', redact)``: how messages name the rule."""
        return f"fhirPathRules[{self.position}] ({self.path.text!r}, {self.method})"


@dataclass(frozen=True)
class AnonymizerConfig:
    """A whole configuration; ``digest`` identifies exactly what was read."""

    rules: tuple[Rule, ...]
    parameters: Parameters
    processing_errors: Literal["raise", "skip"]
    source: Mapping[str, Any]
    paths: PathEngine = field(compare=False, repr=False)

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the configuration's canonical JSON (RFC 8785)."""
        return "sha256:" + hashlib.sha256(canonical_json(dict(self.source))).hexdigest()


def read_config_json(data: bytes | str) -> dict[str, Any]:
    """Parse configuration JSON (a UTF-8 byte order mark, as upstream's files have, is fine)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")

    def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Upstream parses with DuplicatePropertyNameHandling.Error.
        keys = [key for key, _ in pairs]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise InvalidDeidConfig(f"duplicate keys in configuration: {duplicates}")
        return dict(pairs)

    try:
        value = json.loads(text, object_pairs_hook=refuse_duplicates)
    except json.JSONDecodeError as exc:
        raise InvalidDeidConfig(f"configuration is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidDeidConfig("configuration must be a JSON object")
    return value


def load_config(
    value: Mapping[str, Any],
    *,
    custom_methods: Mapping[str, MethodSettings] | None = None,
) -> AnonymizerConfig:
    """Check and compile a configuration; raise :class:`InvalidDeidConfig` naming the problem.

    ``custom_methods`` maps extra method names (any case) to what they accept.
    """
    custom = {name.lower(): spec for name, spec in (custom_methods or {}).items()}
    unknown = sorted(set(value) - _TOP_LEVEL)
    if unknown:
        raise InvalidDeidConfig(f"unknown configuration keys {unknown}")
    version = value.get("fhirVersion") or ""
    if not isinstance(version, str) or version.upper() not in {"", "R4"}:
        raise InvalidDeidConfig(f"fhirVersion {version!r} is not supported; expected R4")
    errors = str(value.get("processingErrors", "raise")).lower()
    if errors not in {"raise", "skip"}:
        raise InvalidDeidConfig(f"processingErrors must be 'raise' or 'skip', not {errors!r}")
    raw_rules = value.get("fhirPathRules")
    if not isinstance(raw_rules, list):
        raise InvalidDeidConfig("the configuration needs a fhirPathRules array")
    paths = PathEngine()
    rules = tuple(_rule(position, raw, paths, custom) for position, raw in enumerate(raw_rules))
    return AnonymizerConfig(
        rules=rules,
        parameters=_parameters(value.get("parameters")),
        processing_errors="skip" if errors == "skip" else "raise",
        source=dict(value),
        paths=paths,
    )


def _rule(position: int, raw: Any, paths: PathEngine, custom: Mapping[str, MethodSettings]) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidDeidConfig(f"fhirPathRules[{position}] must be an object")
    path, method = raw.get("path"), raw.get("method")
    name = f"fhirPathRules[{position}] ({path!r}, {method})"
    if not isinstance(path, str) or not path or not isinstance(method, str) or not method:
        raise InvalidDeidConfig(f"{name}: a rule needs a path and a method")
    lowered = method.lower()
    _check_settings(name, lowered, raw, custom)
    try:
        compiled = paths.compile_rule_path(path)
    except PathError as exc:
        raise InvalidDeidConfig(f"{name}: {exc}") from exc
    rule = Rule(position=position, path=compiled, method=lowered, settings=dict(raw))
    if lowered == "substitute" and "replaceWith" not in raw:
        raise InvalidDeidConfig(f"{name}: substitute needs replaceWith")
    if lowered == "substitute" and isinstance(raw["replaceWith"], list):
        raise InvalidDeidConfig(f"{name}: replaceWith must be a value or an object")
    if lowered == "perturb":
        rule = replace(rule, perturbation=_perturbation(name, raw))
    if lowered == "generalize":
        rule = replace(rule, generalization=_generalization(name, raw, paths))
    return rule


def _check_settings(
    name: str, method: str, raw: Mapping[str, Any], custom: Mapping[str, MethodSettings]
) -> None:
    if method not in BUILTIN_METHODS and method not in custom:
        raise InvalidDeidConfig(f"{name}: anonymization method {raw['method']!r} is not supported")
    spec = custom.get(method)
    allowed = _METHOD_SETTINGS.get(method, spec.keys if spec else frozenset())
    extra = sorted(set(raw) - {"path", "method"} - allowed)
    if extra:
        raise InvalidDeidConfig(f"{name}: unknown settings {extra} for method {raw['method']!r}")
    problem = spec.check(raw) if spec is not None and spec.check is not None else None
    if problem:
        raise InvalidDeidConfig(f"{name}: {problem}")


def _perturbation(name: str, raw: Mapping[str, Any]) -> Perturbation:
    if "span" not in raw:
        raise InvalidDeidConfig(f"{name}: perturb needs a span")
    span = raw["span"]
    if isinstance(span, bool) or not isinstance(span, int | float) or span < 0:
        raise InvalidDeidConfig(f"{name}: span must be a non-negative number")
    range_type = str(raw.get("rangeType", "fixed")).lower()
    if range_type not in {"fixed", "proportional"}:
        raise InvalidDeidConfig(f"{name}: rangeType must be 'fixed' or 'proportional'")
    round_to = raw.get("roundTo", 2)
    if (
        isinstance(round_to, bool)
        or not isinstance(round_to, int)
        or not 0 <= round_to <= _MAX_ROUND_TO
    ):
        raise InvalidDeidConfig(f"{name}: roundTo must be an integer from 0 to 28")
    return Perturbation(
        span=float(span), proportional=range_type == "proportional", round_to=round_to
    )


def _generalization(name: str, raw: Mapping[str, Any], paths: PathEngine) -> Generalization:
    cases = raw.get("cases")
    if not isinstance(cases, dict):
        raise InvalidDeidConfig(f"{name}: generalize needs a cases object")
    compiled: list[tuple[Any, Any, str]] = []
    for condition, outcome in cases.items():
        if not isinstance(outcome, str):
            raise InvalidDeidConfig(f"{name}: the value of case {condition!r} must be a string")
        try:
            # select() makes the element $this, as upstream's node.Predicate/Scalar do;
            # fhirpathpy leaves $this unset outside function arguments.
            paths.compile_expression(condition)
            paths.compile_expression(outcome)
            compiled.append(
                (
                    paths.compile_expression(f"select({condition})"),
                    paths.compile_expression(f"select({outcome})"),
                    outcome,
                )
            )
        except PathError as exc:
            raise InvalidDeidConfig(f"{name}: invalid case {condition!r}: {exc}") from exc
    other = str(raw.get("otherValues", "redact")).lower()
    if other not in {"redact", "keep"}:
        raise InvalidDeidConfig(f"{name}: otherValues must be 'redact' or 'keep'")
    return Generalization(
        cases=tuple(compiled), other_values="keep" if other == "keep" else "redact"
    )


def _keys(raw: Mapping[str, Any]) -> dict[str, str]:
    keys = {name: raw.get(name) or "" for name in ("dateShiftKey", "cryptoHashKey", "encryptKey")}
    for name, key in keys.items():
        if not isinstance(key, str):
            raise InvalidDeidConfig(f"parameters.{name} must be a string")
    encrypt_bytes = len(keys["encryptKey"].encode())
    if keys["encryptKey"] and encrypt_bytes not in _AES_KEY_BYTES:
        raise InvalidDeidConfig(
            f"parameters.encryptKey is {encrypt_bytes * 8} bits; AES needs 128, 192 or 256"
        )
    return keys


def _switches(raw: Mapping[str, Any]) -> dict[str, bool]:
    switches = {}
    for name in (
        "enablePartialAgesForRedact",
        "enablePartialDatesForRedact",
        "enablePartialZipCodesForRedact",
    ):
        flag = raw.get(name, False)
        if not isinstance(flag, bool):
            raise InvalidDeidConfig(f"parameters.{name} must be true or false")
        switches[name] = flag
    return switches


def _parameters(raw: Any) -> Parameters:
    if raw is None:
        return Parameters()
    if not isinstance(raw, dict):
        raise InvalidDeidConfig("parameters must be an object")
    unknown = sorted(set(raw) - _PARAMETERS)
    if unknown:
        raise InvalidDeidConfig(f"unknown parameters {unknown}")
    keys = _keys(raw)
    scope = str(raw.get("dateShiftScope") or "resource").lower()
    if scope not in _SCOPES:
        raise InvalidDeidConfig("parameters.dateShiftScope must be resource, file or folder")
    offset = raw.get("dateShiftFixedOffsetInDays")
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int)):
        raise InvalidDeidConfig("parameters.dateShiftFixedOffsetInDays must be an integer")
    switches = _switches(raw)
    zips = raw.get("restrictedZipCodeTabulationAreas") or []
    if not isinstance(zips, list) or not all(isinstance(z, str) for z in zips):
        raise InvalidDeidConfig("parameters.restrictedZipCodeTabulationAreas must be strings")
    return Parameters(
        date_shift_key=keys["dateShiftKey"],
        date_shift_scope=_SCOPES[scope],
        date_shift_fixed_offset_days=offset,
        crypto_hash_key=keys["cryptoHashKey"],
        encrypt_key=keys["encryptKey"],
        partial_ages=switches["enablePartialAgesForRedact"],
        partial_dates=switches["enablePartialDatesForRedact"],
        partial_zip_codes=switches["enablePartialZipCodesForRedact"],
        restricted_zip_prefixes=tuple(zips),
    )
