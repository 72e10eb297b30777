"""Policy packs: versioned data files, loaded and checked before anything is decided.

A pack is a folder holding ``pack.json`` (version, effective date, places, the order in
which routes and permits are read, the obligation catalogue, the volume thresholds),
``policies.cedar`` and ``schema.cedarschema``. Loading validates the policies against the
schema with Cedar's own validator, checks that every policy carries the annotations the
engine reads (RULES.md §6.1: ``@id``, ``@cite``; ``@kind``, ``@mechanism``, ``@reason``,
``@review``), that the schema's context attributes are exactly typed, required facts, and
that the orders and catalogues name real policies. Anything wrong is a
:class:`PackInvalid` at start-up, never a surprise while deciding.

The pack digest is SHA-256 over the digests of its three files, so a decision's evidence
names exactly the text that decided (RULES.md §6.3: version packs by effective date).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import cedarpy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corridor.compliance.errors import PackInvalid, UnknownPack
from corridor.compliance.facts import Facts
from corridor.compliance.models import MECHANISMS, Role
from corridor.crypto.canonical import canonical_json
from corridor.crypto.hashing import sha256_hex

PACKS_DIR = Path(__file__).parent / "packs"
"""The packs shipped with Corridor: one folder per jurisdiction."""

_FILES = ("pack.json", "policies.cedar", "schema.cedarschema")
_ACTIONS: Mapping[Role, tuple[str, str]] = {
    "export": ("export", "advise_export"),
    "import": ("import", "advise_import"),
}
_ADVICE_KINDS = frozenset({"route", "rule", "obligation"})
_ANNOTATIONS = frozenset({"id", "cite", "kind", "mechanism", "reason", "review"})
# Cedar types of the schema, by the Python type of the facts' defaults.
_CEDAR_TYPE = {bool: "Bool", int: "Long", str: "String", list: "Set<String>"}
_AS_OF = "as_of"
_ATTRIBUTE = re.compile(r"^\s*\"?(?P<name>[a-z_0-9]+)\"?(?P<optional>\?)?:\s*(?P<type>.+?),?$")

PolicyKind = Literal["gate", "route", "rule", "obligation"]


class _Missing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    cite: str
    reason: str


class _RoleManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    route_order: tuple[str, ...]
    permit_order: tuple[str, ...]
    missing_mechanism: dict[str, _Missing]


class Threshold(BaseModel):
    """A year-to-date count at which the required mechanism changes (RULES.md §1.4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: Literal["general", "sensitive"]
    at: int = Field(gt=0)
    route: str
    cite: str


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: str = Field(pattern=r"^[A-Z]{2,3}$")
    title: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    effective_from: date
    source: str
    places: tuple[str, ...]
    timezone: str
    working_days: Literal["PRC", "weekdays"]
    filing_deadline_working_days: int = Field(ge=0)
    roles: dict[Literal["export", "import"], _RoleManifest]
    thresholds: tuple[Threshold, ...]
    obligations: dict[str, str]


@dataclass(frozen=True)
class PolicyNote:
    """What the engine reads from one Cedar policy's annotations."""

    policy_id: str
    """Cedar's generated id (``policy12``), as ``diagnostics.reasons`` reports it."""
    rule_id: str
    action: str
    effect: Literal["permit", "forbid"]
    kind: PolicyKind
    cite: str
    mechanism: str | None
    reason: str
    review: str


@dataclass(frozen=True)
class MissingMechanism:
    """The rule reported when a route needs a mechanism and no permit supplied one."""

    rule_id: str
    cite: str
    reason: str


@dataclass(frozen=True)
class RoleSpec:
    """How one role (export or import) of a pack is evaluated."""

    gate: str
    advise: str
    route_order: tuple[str, ...]
    permit_order: tuple[str, ...]
    missing: Mapping[str, MissingMechanism]


class AnswerCache:
    """A small thread-safe LRU map from evaluation keys to decisions (or anything)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        """The value stored under ``key``, freshly used, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Forget everything (benchmarks measure cold evaluation this way)."""
        with self._lock:
            self._items.clear()


@dataclass(frozen=True, eq=False, repr=False)
class PolicyPack:
    """A loaded, validated pack; immutable and safe to share between threads."""

    code: str
    title: str
    version: str
    effective_from: date
    source: str
    places: frozenset[str]
    timezone: str
    working_days: str
    filing_deadline_working_days: int
    digest: str
    roles: Mapping[Role, RoleSpec]
    thresholds: tuple[Threshold, ...]
    obligations: Mapping[str, str]
    attributes: tuple[str, ...]
    """Context attributes the schema declares (facts' names, plus ``as_of``)."""
    notes: Mapping[str, PolicyNote]
    positions: Mapping[str, int]
    """Order of each policy in ``policies.cedar``, by Cedar's policy id."""
    policies: cedarpy.PolicySet
    schema: cedarpy.Schema
    cuts: Mapping[str, tuple[int, ...]]
    """For each ``Long`` attribute the policies only compare with literals, the points
    where some comparison changes truth value (see :func:`comparison_cuts`)."""
    answers: AnswerCache = field(default_factory=AnswerCache, repr=False)
    """Decisions already taken, by role and equivalent context (the engine's to use)."""

    def __repr__(self) -> str:
        return f"PolicyPack({self.code} {self.version} {self.digest})"

    def governs(self, place: str) -> bool:
        """True when ``place`` (an origin or destination code) is under this pack's law."""
        return place in self.places

    def describe(self) -> dict[str, Any]:
        """Identity of the pack, as ``corridor compliance packs`` prints it."""
        return {
            "pack": self.code,
            "title": self.title,
            "version": self.version,
            "digest": self.digest,
            "effective_from": self.effective_from.isoformat(),
            "places": sorted(self.places),
            "policies": len(self.notes),
        }


def _read(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in _FILES:
        try:
            files[name] = (folder / name).read_bytes()
        except OSError as exc:
            raise PackInvalid(f"pack {folder.name}: cannot read {name}: {exc.strerror}") from exc
    return files


def pack_digest(files: Mapping[str, bytes]) -> str:
    """``sha256:<hex>`` over the canonical map of file name to SHA-256 of its bytes."""
    listing = {name: sha256_hex(data) for name, data in sorted(files.items())}
    return "sha256:" + sha256_hex(canonical_json({"files": listing}))


def _schema_attributes(schema: cedarpy.Schema, name: str) -> tuple[str, ...]:
    """Check the ``Facts`` context type against :class:`Facts`; return its attribute names.

    Cedar renders a parsed schema in one canonical layout, so the block is read from that
    rendering rather than from the file as written.
    """
    text = str(schema)
    match = re.search(r"type Facts = \{\n(?P<body>.*?)\n\s*\};", text, re.DOTALL)
    if match is None:
        raise PackInvalid(f"pack {name}: the schema declares no 'type Facts' record")
    defaults = Facts().model_dump(mode="json")
    attributes: list[str] = []
    problems: list[str] = []
    for line in match.group("body").splitlines():
        parsed = _ATTRIBUTE.match(line)
        if parsed is None:
            problems.append(f"cannot read schema line {line.strip()!r}")
            continue
        attribute, cedar_type = parsed.group("name"), parsed.group("type").strip()
        attributes.append(attribute)
        if parsed.group("optional"):
            # RULES.md §6.3: an optional attribute lets a forbid error out and be skipped.
            problems.append(f"{attribute} is optional; every context attribute must be required")
        if attribute == _AS_OF:
            expected = "__cedar::datetime"
        elif attribute in defaults:
            expected = _CEDAR_TYPE[type(defaults[attribute])]
        else:
            problems.append(f"{attribute} is not a fact")
            continue
        if cedar_type != expected:
            problems.append(f"{attribute} is {cedar_type}, expected {expected}")
    if _AS_OF not in attributes:
        problems.append("the context must declare as_of")
    if problems:
        raise PackInvalid(
            f"pack {name}: schema does not match the facts", detail={"problems": problems}
        )
    return tuple(attributes)


_COMPARISONS = {
    # operator: the cut points comparing with literal ``c`` introduces
    "<": (0,),
    ">=": (0,),
    "<=": (1,),
    ">": (1,),
    "==": (0, 1),
    "!=": (0, 1),
}


def _context_attribute(node: Any) -> str | None:
    if isinstance(node, dict) and set(node) == {"."}:
        inner = node["."]
        if inner.get("left") == {"Var": "context"}:
            return str(inner.get("attr"))
    return None


def comparison_cuts(est: Mapping[str, Any], longs: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Cut points of every ``Long`` attribute used only as ``context.x <op> literal``.

    Two values of such an attribute that lie between the same cut points make every
    condition of the pack evaluate the same, so the engine may treat them as one when it
    reuses earlier answers. An attribute used any other way (arithmetic, compared with
    another attribute) gets no cut points and is always compared exactly.
    """
    cuts: dict[str, set[int]] = {name: set() for name in longs}
    opaque: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            ((operator, operands),) = node.items()
            if operator in _COMPARISONS and isinstance(operands, dict):
                left, right = operands.get("left"), operands.get("right")
                attribute = _context_attribute(left)
                literal = right.get("Value") if isinstance(right, dict) else None
                if attribute in cuts and isinstance(literal, int) and not isinstance(literal, bool):
                    cuts[attribute].update(literal + shift for shift in _COMPARISONS[operator])
                    return
        attribute = _context_attribute(node)
        if attribute is not None:
            opaque.add(attribute)
            return
        for value in node.values():
            walk(value)

    walk(est.get("staticPolicies", {}))
    return {name: tuple(sorted(points)) for name, points in cuts.items() if name not in opaque}


def _kind(
    where: str, action: str, effect: str, annotations: Mapping[str, str], mechanism: str | None
) -> PolicyKind:
    """Check the annotations a gate or an advice policy must carry; return its kind."""
    if action in {gate for gate, _ in _ACTIONS.values()}:
        if "kind" in annotations:
            raise PackInvalid(f"{where}: gate policies carry no @kind")
        if effect == "permit" and mechanism is None:
            raise PackInvalid(f"{where}: a gate permit must name its @mechanism")
        if effect == "forbid" and not annotations.get("reason"):
            raise PackInvalid(f"{where}: a blocker must give a @reason")
        return "gate"
    advised = annotations.get("kind")
    if advised not in _ADVICE_KINDS or effect != "permit":
        raise PackInvalid(f"{where}: advice policies are permits with @kind route|rule|obligation")
    if advised == "route" and mechanism is None:
        raise PackInvalid(f"{where}: a route must name its @mechanism")
    return "route" if advised == "route" else ("rule" if advised == "rule" else "obligation")


def _note(policy_id: str, policy: Mapping[str, Any], pack: str) -> PolicyNote:
    annotations: dict[str, str] = dict(policy.get("annotations", {}))
    action = str(policy.get("action", {}).get("entity", {}).get("id", ""))
    effect = policy.get("effect")
    where = f"pack {pack}, policy {annotations.get('id', policy_id)}"
    unknown = set(annotations) - _ANNOTATIONS
    if unknown:
        raise PackInvalid(f"{where}: unknown annotations {sorted(unknown)}")
    if not annotations.get("id") or not annotations.get("cite"):
        raise PackInvalid(f"{where}: every policy needs @id and @cite")
    if effect not in {"permit", "forbid"}:
        raise PackInvalid(f"{where}: unexpected effect {effect!r}")
    mechanism = annotations.get("mechanism")
    if mechanism is not None and mechanism not in MECHANISMS:
        raise PackInvalid(f"{where}: @mechanism {mechanism!r} is not a mechanism of RULES.md §4.2")
    kind = _kind(where, action, effect, annotations, mechanism)
    return PolicyNote(
        policy_id=policy_id,
        rule_id=annotations["id"],
        action=action,
        effect="permit" if effect == "permit" else "forbid",
        kind=kind,
        cite=annotations["cite"],
        mechanism=mechanism,
        reason=annotations.get("reason", ""),
        review=annotations.get("review", ""),
    )


def _check_roles(manifest: _Manifest, notes: Mapping[str, PolicyNote]) -> dict[Role, RoleSpec]:
    roles: dict[Role, RoleSpec] = {}
    problems: list[str] = []
    for role, (gate, advise) in _ACTIONS.items():
        spec = manifest.roles.get(role)
        if spec is None:
            problems.append(f"no '{role}' role")
            continue
        permits = {n.rule_id for n in notes.values() if n.action == gate and n.effect == "permit"}
        routes = {n.rule_id for n in notes.values() if n.action == advise and n.kind == "route"}
        if set(spec.permit_order) != permits:
            problems.append(
                f"{role}: permit_order must list exactly the gate's permits {sorted(permits)}"
            )
        if set(spec.route_order) != routes:
            problems.append(f"{role}: route_order must list exactly the routes {sorted(routes)}")
        obligations = {
            n.rule_id for n in notes.values() if n.action == advise and n.kind == "obligation"
        }
        problems.extend(
            f"{role}: obligation {code} is not in the pack's catalogue"
            for code in sorted(obligations - set(manifest.obligations))
        )
        problems.extend(
            f"{role}: missing_mechanism key {key} is not a mechanism"
            for key in spec.missing_mechanism
            if key not in MECHANISMS
        )
        roles[role] = RoleSpec(
            gate=gate,
            advise=advise,
            route_order=spec.route_order,
            permit_order=spec.permit_order,
            missing={
                key: MissingMechanism(value.id, value.cite, value.reason)
                for key, value in spec.missing_mechanism.items()
            },
        )
    if problems:
        raise PackInvalid(
            f"pack {manifest.pack}: inconsistent pack.json", detail={"problems": problems}
        )
    return roles


def load_pack(folder: Path) -> PolicyPack:
    """Read and validate the pack in ``folder``; raise :class:`PackInvalid` on any defect."""
    files = _read(folder)
    try:
        manifest = _Manifest.model_validate(json.loads(files["pack.json"]))
    except (ValueError, ValidationError) as exc:
        raise PackInvalid(f"pack {folder.name}: pack.json is invalid: {exc}") from exc
    policy_text = files["policies.cedar"].decode("utf-8")
    try:
        schema = cedarpy.Schema.from_str(files["schema.cedarschema"].decode("utf-8"))
        policies = cedarpy.PolicySet.from_str(policy_text)
        validation = cedarpy.validate_policies(policy_text, schema)
        est = json.loads(cedarpy.policies_to_json_str(policy_text))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackInvalid(f"pack {manifest.pack}: Cedar cannot parse it: {exc}") from exc
    attributes = _schema_attributes(schema, manifest.pack)
    if not validation.validation_passed:
        raise PackInvalid(
            f"pack {manifest.pack}: policies do not validate against the schema",
            detail={"errors": [str(error) for error in validation.errors]},
        )
    notes = {
        policy_id: _note(policy_id, policy, manifest.pack)
        for policy_id, policy in est.get("staticPolicies", {}).items()
    }
    if est.get("templates"):
        raise PackInvalid(f"pack {manifest.pack}: templates are not supported")
    roles = _check_roles(manifest, notes)
    defaults = Facts().model_dump(mode="json")
    longs = [name for name in attributes if isinstance(defaults.get(name), int)]
    longs = [name for name in longs if not isinstance(defaults[name], bool)]
    return PolicyPack(
        code=manifest.pack,
        title=manifest.title,
        version=manifest.version,
        effective_from=manifest.effective_from,
        source=manifest.source,
        places=frozenset(manifest.places),
        timezone=manifest.timezone,
        working_days=manifest.working_days,
        filing_deadline_working_days=manifest.filing_deadline_working_days,
        digest=pack_digest(files),
        roles=roles,
        thresholds=manifest.thresholds,
        obligations=dict(manifest.obligations),
        attributes=attributes,
        notes=notes,
        positions={policy_id: position for position, policy_id in enumerate(notes)},
        policies=policies,
        schema=schema,
        cuts=comparison_cuts(est, longs),
    )


@dataclass(frozen=True, repr=False)
class PackSet:
    """The packs a node has loaded, by jurisdiction code."""

    packs: Mapping[str, PolicyPack]

    def __repr__(self) -> str:
        return f"PackSet({', '.join(sorted(self.packs))})"

    def get(self, code: str) -> PolicyPack:
        """The pack for ``code`` or :class:`UnknownPack`."""
        try:
            return self.packs[code]
        except KeyError:
            raise UnknownPack(
                f"no policy pack for {code!r}", detail={"loaded": sorted(self.packs)}
            ) from None

    def governing(self, place: str) -> PolicyPack | None:
        """The pack whose law covers ``place`` (a jurisdiction or country code), if any."""
        return next((pack for pack in self.packs.values() if pack.governs(place)), None)

    def describe(self) -> list[dict[str, Any]]:
        """Identity of every loaded pack."""
        return [self.packs[code].describe() for code in sorted(self.packs)]


def load_packs(root: Path = PACKS_DIR) -> PackSet:
    """Load every pack folder under ``root`` (default: the packs shipped with Corridor)."""
    folders = sorted(path for path in root.iterdir() if (path / "pack.json").is_file())
    if not folders:
        raise PackInvalid(f"no policy packs under {root}")
    packs: dict[str, PolicyPack] = {}
    for folder in folders:
        pack = load_pack(folder)
        if pack.code in packs:
            raise PackInvalid(f"two packs claim jurisdiction {pack.code}")
        packs[pack.code] = pack
    return PackSet(packs)
