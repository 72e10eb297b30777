"""Evaluate a policy pack for a transfer: Cedar decides, Python explains (pure).

Each decision is two Cedar requests over the same typed context (RULES.md §6.1): the gate
action (``export`` or ``import``: permits are lawful routes, forbids are blockers, Cedar's
forbid-overrides and default-deny decide) and the advice action, which lists every route,
informative rule and obligation that holds. Python then does what Cedar cannot
(RULES.md §6.3): it picks the route by the pack's precedence to name the mechanism a
denied transfer would need, maps ``@id`` to obligation codes and ``@cite`` to citations,
and reports which rules fired.

Fail closed: a request Cedar cannot build (NoDecision), any evaluation error (Cedar skips a
policy that errors, which could silently drop a blocker), a policy the pack does not know
or an empty route is a DENY, never a permit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import cedarpy

from corridor.compliance.facts import Facts
from corridor.compliance.models import Decision, Role
from corridor.compliance.pack import PolicyNote, PolicyPack, RoleSpec

_PRINCIPAL = {"type": "XB::Handler", "id": "handler"}
_RESOURCE = {"type": "XB::Transfer", "id": "transfer"}
_NO_ENTITIES = cedarpy.Entities.from_json_str("[]")
_FAIL_CLOSED_CITE = "RULES.md §6.1, §6.3 (no decision or an evaluation error is a deny)"


@dataclass(frozen=True)
class _Answer:
    """One Cedar answer, reduced to what the engine reads."""

    allowed: bool
    decided: bool
    policies: tuple[str, ...]
    errors: tuple[str, ...]
    ids: Mapping[str, str]


def context_of(pack: PolicyPack, facts: Facts, as_of: date) -> dict[str, Any]:
    """The Cedar context: exactly the attributes the pack's schema declares."""
    values: dict[str, Any] = {}
    for name in pack.attributes:
        if name == "as_of":
            values[name] = {"__extn": {"fn": "datetime", "arg": as_of.isoformat()}}
        else:
            value = getattr(facts, name)
            values[name] = list(value) if isinstance(value, tuple) else value
    return values


def _key(pack: PolicyPack, role: Role, context: Mapping[str, Any]) -> tuple[Any, ...]:
    """Equal keys mean equal answers: counts reduce to the interval between cut points."""
    parts: list[Any] = [role]
    for name, value in context.items():
        if isinstance(value, list):
            parts.append(tuple(sorted(value)))
        elif isinstance(value, dict):
            parts.append(value["__extn"]["arg"])
        elif name in pack.cuts and not isinstance(value, bool):
            parts.append(("interval", bisect_right(pack.cuts[name], value)))
        else:
            parts.append(value)
    return tuple(parts)


def _request(action: str, context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "principal": _PRINCIPAL,
        "action": {"type": "XB::Action", "id": action},
        "resource": _RESOURCE,
        "context": context,
    }


def _answer(result: cedarpy.AuthzResult) -> _Answer:
    diagnostics = result.diagnostics
    return _Answer(
        allowed=result.decision == cedarpy.Decision.Allow,
        decided=result.decision != cedarpy.Decision.NoDecision,
        policies=tuple(diagnostics.reasons),
        errors=tuple(str(error) for error in diagnostics.errors),
        ids=dict(diagnostics.id_annotations_by_reason),
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


class _Explainer:
    """Turns the two Cedar answers for one transfer into a :class:`Decision`."""

    def __init__(self, pack: PolicyPack, role: Role, as_of: date) -> None:
        self.pack = pack
        self.role = role
        self.spec: RoleSpec = pack.roles[role]
        self.as_of = as_of.isoformat()

    def decision(self, **values: Any) -> Decision:
        return Decision(
            pack=self.pack.code,
            pack_version=self.pack.version,
            pack_digest=self.pack.digest,
            role=self.role,
            as_of=self.as_of,
            **values,
        )

    def fail_closed(self, reasons: Iterable[str], mechanism: str = "NONE") -> Decision:
        return self.decision(
            decision="DENY",
            mechanism=mechanism,
            rule_ids=(f"{self.pack.code}-ENGINE-FAIL-CLOSED",),
            citations=(_FAIL_CLOSED_CITE,),
            reasons=_unique(reasons) or ("the policy engine gave no decision",),
        )

    def notes(self, answer: _Answer) -> list[PolicyNote]:
        """The annotated policies behind an answer; unknown or mislabelled ones raise."""
        found = []
        for policy_id in answer.policies:
            note = self.pack.notes[policy_id]
            if answer.ids.get(policy_id, note.rule_id) != note.rule_id:
                raise KeyError(policy_id)
            found.append(note)
        # Cedar reports the satisfied policies as a set; report them in pack order.
        return sorted(found, key=lambda note: self.pack.positions[note.policy_id])

    def first(self, notes: Sequence[PolicyNote], order: Sequence[str]) -> PolicyNote | None:
        for rule_id in order:
            for note in notes:
                if note.rule_id == rule_id:
                    return note
        return None

    def explain(self, gate: _Answer, advice: _Answer) -> Decision:
        problems = [*gate.errors, *advice.errors]
        if not gate.decided or not advice.decided or problems:
            return self.fail_closed(problems)
        try:
            fired, advised = self.notes(gate), self.notes(advice)
        except KeyError as exc:
            return self.fail_closed([f"policy {exc.args[0]} is not in pack {self.pack.digest}"])
        route = self.first([n for n in advised if n.kind == "route"], self.spec.route_order)
        if route is None or route.mechanism is None:
            return self.fail_closed(["no route of the pack applies"])
        rules = [n for n in advised if n.kind == "rule"]
        obligations = [n for n in advised if n.kind == "obligation"]
        if gate.allowed:
            return self._permit(fired, route, rules, obligations)
        return self._deny(fired, route, rules)

    def _permit(
        self,
        permits: Sequence[PolicyNote],
        route: PolicyNote,
        rules: Sequence[PolicyNote],
        obligations: Sequence[PolicyNote],
    ) -> Decision:
        chosen = self.first(permits, self.spec.permit_order)
        if chosen is None or chosen.mechanism is None:
            return self.fail_closed(["the gate allowed but no known permit decided"])
        mechanism = chosen.mechanism
        # An obligation tied to a mechanism applies only when the transfer relies on it.
        owed = [o for o in obligations if o.mechanism in {None, mechanism}]
        explaining = (
            [route, chosen, *rules] if route.rule_id != chosen.rule_id else [chosen, *rules]
        )
        reviews = [n.review for n in [*explaining, *owed] if n.review]
        return self.decision(
            decision="PERMIT_WITH_OBLIGATIONS" if owed else "PERMIT",
            mechanism=mechanism,
            obligations=_unique(o.rule_id for o in owed),
            rule_ids=_unique(n.rule_id for n in explaining),
            citations=_unique(n.cite for n in [*explaining, *owed]),
            reasons=_unique([*(n.reason for n in rules), *reviews]),
            review_required=bool(reviews),
        )

    def _deny(
        self, blockers: Sequence[PolicyNote], route: PolicyNote, rules: Sequence[PolicyNote]
    ) -> Decision:
        assert route.mechanism is not None  # checked by the caller
        mechanism = next((b.mechanism for b in blockers if b.mechanism), route.mechanism)
        rule_ids = [b.rule_id for b in blockers]
        citations = [b.cite for b in blockers]
        reasons = [b.reason for b in blockers]
        rule_ids.append(route.rule_id)
        citations.append(route.cite)
        if not blockers:
            # Cedar denied because no permit matched: the route's mechanism is missing.
            missing = self.spec.missing.get(route.mechanism)
            if missing is None:
                return self.fail_closed(
                    [f"route {route.rule_id} has no permit and the pack names no missing rule"],
                    mechanism=route.mechanism,
                )
            rule_ids.append(missing.rule_id)
            citations.append(missing.cite)
            reasons.append(missing.reason)
        rule_ids.extend(r.rule_id for r in rules)
        citations.extend(r.cite for r in rules)
        reasons.extend(r.reason for r in rules)
        return self.decision(
            decision="DENY",
            mechanism=mechanism,
            rule_ids=_unique(rule_ids),
            citations=_unique(citations),
            reasons=_unique(reasons),
        )


def evaluate_batch(
    pack: PolicyPack, facts: Sequence[Facts], *, as_of: date, role: Role = "export"
) -> list[Decision]:
    """Decide every transfer in ``facts`` with one batched Cedar call.

    Equivalent contexts are evaluated once (a batch of one hospital's transfers under one
    contract repeats most of them) and answers are kept in the pack's bounded cache; two
    contexts are equivalent when they agree on everything but counts that every policy
    compares the same way (:func:`corridor.compliance.pack.comparison_cuts`).
    """
    explainer = _Explainer(pack, role, as_of)
    if as_of < pack.effective_from:
        reason = f"pack {pack.code} {pack.version} applies from {pack.effective_from.isoformat()}"
        return [explainer.fail_closed([reason]) for _ in facts]
    keys: list[tuple[Any, ...]] = []
    decided: dict[tuple[Any, ...], Decision] = {}
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in facts:
        context = context_of(pack, item, as_of)
        key = _key(pack, role, context)
        keys.append(key)
        if key in decided or key in unique:
            continue
        known = pack.answers.get(key)
        if isinstance(known, Decision):
            decided[key] = known
        else:
            unique[key] = context
    if not unique:
        return [decided[key] for key in keys]
    requests: list[dict[str, Any]] = []
    for context in unique.values():
        requests.append(_request(explainer.spec.gate, context))
        requests.append(_request(explainer.spec.advise, context))
    try:
        results = cedarpy.is_authorized_batch(
            requests, pack.policies, _NO_ENTITIES, schema=pack.schema
        )
    except (ValueError, TypeError) as exc:
        return [explainer.fail_closed([f"policy engine error: {exc}"]) for _ in facts]
    for position, key in enumerate(unique):
        gate, advice = results[2 * position], results[2 * position + 1]
        decided[key] = explainer.explain(_answer(gate), _answer(advice))
        pack.answers.put(key, decided[key])
    return [decided[key] for key in keys]


def evaluate(pack: PolicyPack, facts: Facts, *, as_of: date, role: Role = "export") -> Decision:
    """Decide one transfer under ``pack`` in ``role`` on day ``as_of``."""
    return evaluate_batch(pack, [facts], as_of=as_of, role=role)[0]
