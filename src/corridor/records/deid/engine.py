"""The de-identification engine: a configuration's rules applied to a resource or bundle.

Pure. It follows upstream's ``AnonymizationVisitor`` step for step:

* every resource in the input (the input itself, bundle entries, contained resources) is
  processed on its own, outermost first, with the rules for its type plus the general
  ones (no type, ``Resource``, ``DomainResource``), **in file order**;
* a rule's matches are processed with their whole subtree, never entering nested
  resources; an element an earlier rule handled is skipped, so the **first matching rule
  wins** and ``keep`` rules go first;
* when a resource is done, the operations recorded in it and in the resources it
  carries become security labels in its ``meta.security`` (not for contained ones,
  which share their container's) in upstream's fixed order;
* finally, what was emptied is pruned (``RemoveNullChildren``).

With ``processingErrors: skip`` a processing error turns the whole input into an empty
resource of its type carrying only the REDACTED label (``EmptyElement``); with ``raise``
it raises :class:`DeidProcessingFailed`.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from corridor.records.deid import operations
from corridor.records.deid.config import AnonymizerConfig, Rule
from corridor.records.deid.operations import OperationContext, OperationFailed
from corridor.records.deid.substitution import substitute
from corridor.records.deid.tree import Element, build_tree, prune, release_tree
from corridor.records.errors import DeidProcessingFailed, InvalidDeidConfig

_V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
# Upstream's SecurityLabels, in the order AddSecurityTag appends them.
SECURITY_LABELS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        operations.REDACT,
        {"system": _V3_OBSERVATION_VALUE, "code": "REDACTED", "display": "redacted"},
    ),
    (
        operations.ABSTRACT,
        {"system": _V3_OBSERVATION_VALUE, "code": "ABSTRED", "display": "abstracted"},
    ),
    (
        operations.CRYPTOHASH,
        {
            "system": _V3_OBSERVATION_VALUE,
            "code": "CRYTOHASH",
            "display": "cryptographic hash function",
        },
    ),
    (operations.ENCRYPT, {"system": _V3_OBSERVATION_VALUE, "code": "MASKED", "display": "masked"}),
    (
        operations.PERTURB,
        {"code": "PERTURBED", "display": "exact value is replaced with another exact value"},
    ),
    (
        operations.SUBSTITUTE,
        {"code": "SUBSTITUTED", "display": "exact value is replaced with a predefined value"},
    ),
    (
        operations.GENERALIZE,
        {"code": "GENERALIZED", "display": "exact value is replaced with a general value"},
    ),
)
_GENERAL_TYPES = frozenset({"", "Resource", "DomainResource"})
_NOTHING: list[Element] = []


class CustomOperation(Protocol):
    """A method beyond the eight (upstream's custom processor extension point)."""

    def __call__(self, node: Element, rule: Rule, context: OperationContext, /) -> str | None:
        """Change ``node``; return the operation recorded (``REDACT``...) or ``None``."""
        ...


@dataclass(frozen=True)
class DeidResult:
    """The de-identified JSON and what happened to it."""

    resource: dict[str, Any]
    changed: int
    """Elements a rule changed (the same element is never counted twice)."""
    operations: frozenset[str] = field(default_factory=frozenset)


@dataclass
class _Run:
    context: OperationContext
    changed: int = 0
    operations: dict[int, Callable[[Element], str | None]] = field(default_factory=dict)


class Anonymizer:
    """Applies one configuration; build it once, use it for many inputs."""

    def __init__(
        self,
        config: AnonymizerConfig,
        *,
        rng: random.Random,
        custom: Mapping[str, CustomOperation] | None = None,
        date_shift_prefix: str = "",
    ) -> None:
        """``rng`` supplies AES IVs, perturbation noise and any key left empty."""
        self._config = config
        self._rng = rng
        self._custom = {name.lower(): operation for name, operation in (custom or {}).items()}
        missing = sorted(
            {r.method for r in config.rules} - operations_builtin() - set(self._custom)
        )
        if missing:
            raise InvalidDeidConfig(f"no implementation for custom methods {missing}")
        self._parameters = _with_default_keys(config, rng)
        self._date_shift_prefix = date_shift_prefix
        self._rules_by_type: dict[str, tuple[Rule, ...]] = {}

    @property
    def config(self) -> AnonymizerConfig:
        """The configuration this engine applies."""
        return self._config

    def anonymize(self, resource: Mapping[str, Any], *, at: date) -> DeidResult:
        """De-identify a copy of ``resource`` (any resource, or a Bundle).

        ``at`` is the evaluation date of the "age over 89" rule.
        """
        copied = _copy_json(resource)
        if not isinstance(copied, dict) or not isinstance(copied.get("resourceType"), str):
            raise DeidProcessingFailed("input must be a FHIR resource with a resourceType")
        return self.anonymize_in_place(copied, at=at)

    def anonymize_in_place(self, resource: dict[str, Any], *, at: date) -> DeidResult:
        """As :meth:`anonymize`, changing ``resource`` itself (faster for large inputs)."""
        run = _Run(
            context=OperationContext(
                parameters=self._parameters,
                at=at,
                rng=self._rng,
                paths=self._config.paths,
                date_shift_prefix=self._date_shift_prefix,
            )
        )
        with _collector_paused():
            root = build_tree(resource)
            try:
                recorded = self._visit(root, run)
            except OperationFailed as exc:
                if self._config.processing_errors == "skip":
                    return _empty(resource)
                raise DeidProcessingFailed(str(exc)) from exc
            finally:
                release_tree(root)
            prune(resource)
        return DeidResult(resource=resource, changed=run.changed, operations=frozenset(recorded))

    # --- the visitor --------------------------------------------------------------------
    def _visit(self, resource: Element, run: _Run) -> set[str]:
        recorded = self._process_resource(resource, run)
        for nested in list(resource.nested):
            recorded |= self._visit(nested, run)
        if recorded and resource.name != "contained" and resource.obj is not None:
            _add_security_labels(resource.obj, recorded)
        return recorded

    def _process_resource(self, resource: Element, run: _Run) -> set[str]:
        recorded: set[str] = set()
        for rule in self._rules_for(resource.type):
            lookup = rule.path.lookup
            if lookup is not None and not lookup[2]:
                # nodesByType('T') / nodesByName('n'): straight from the tables.
                table = resource.by_type if lookup[0] == "type" else resource.by_name
                matches = table.get(lookup[1], _NOTHING)
            else:
                try:
                    matches = self._config.paths.match(rule.path, resource)
                except Exception as exc:  # fhirpathpy raises plain exceptions on bad data
                    raise OperationFailed(f"{rule.describe()}: {exc}") from exc
            if not matches:
                continue
            operation = run.operations.get(rule.position)
            if operation is None:
                operation = self._operation(rule, run.context)
                run.operations[rule.position] = operation
            try:
                for node in matches:
                    self._process_recursive(node, operation, run, recorded)
            except OperationFailed as exc:
                raise OperationFailed(f"{rule.describe()}: {exc}") from exc
        return recorded

    @staticmethod
    def _process_recursive(
        node: Element,
        operation: Callable[[Element], str | None],
        run: _Run,
        recorded: set[str],
    ) -> None:
        # ResourceProcessor.ProcessNodeRecursive: the node, then its subtree, skipping
        # what an earlier rule handled and never entering nested resources.
        visited = run.context.visited
        pending = [node]
        while pending:
            current = pending.pop()
            if current in visited:
                continue
            done = operation(current)
            visited.add(current)
            if done is not None:
                recorded.add(done)
                run.changed += 1
            if current.children:
                pending.extend(c for c in reversed(current.children) if not c.is_resource)

    def _operation(self, rule: Rule, context: OperationContext) -> Callable[[Element], str | None]:
        method = rule.method
        simple = _SIMPLE_OPERATIONS.get(method)
        if simple is not None:
            return lambda node: simple(node, context)
        if method == "perturb":
            assert rule.perturbation is not None
            setting = rule.perturbation
            return lambda node: operations.perturb(node, context, setting)
        if method == "generalize":
            assert rule.generalization is not None
            generalization = rule.generalization
            return lambda node: _generalize(node, context, generalization, rule)
        if method == "substitute":
            replace_with = rule.settings.get("replaceWith")
            return lambda node: substitute(node, replace_with, context)
        custom = self._custom[method]
        return lambda node: custom(node, rule, context)

    def _rules_for(self, resource_type: str) -> tuple[Rule, ...]:
        if resource_type not in self._rules_by_type:
            self._rules_by_type[resource_type] = tuple(
                rule
                for rule in self._config.rules
                if rule.path.resource_type in _GENERAL_TYPES
                or rule.path.resource_type == resource_type
            )
        return self._rules_by_type[resource_type]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one input is processed.

    The element tree adds some sixty objects per resource. With the collector running,
    those allocations keep triggering collections that re-scan the whole parsed record
    (measured on the Synthea bundles: about 1.3 times slower). Nothing cyclic is left
    behind (:func:`release_tree` cuts the parent links), and the previous state comes back
    on exit whatever happens; other threads merely see collections postponed meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def operations_builtin() -> frozenset[str]:
    """The eight built-in method names, lower case."""
    return frozenset(
        {
            "keep",
            "redact",
            "dateshift",
            "cryptohash",
            "encrypt",
            "substitute",
            "perturb",
            "generalize",
        }
    )


def _keep(_node: Element, _context: OperationContext) -> str | None:
    return None


_SIMPLE_OPERATIONS: dict[str, Callable[[Element, OperationContext], str | None]] = {
    "keep": _keep,
    "redact": operations.redact,
    "dateshift": operations.date_shift,
    "cryptohash": operations.crypto_hash,
    "encrypt": operations.encrypt,
}


def _generalize(node: Element, context: OperationContext, setting: Any, rule: Rule) -> str | None:
    if not operations.is_primitive_type(node):
        # Upstream raises AnonymizerRuleNotApplicableException, a configuration error.
        raise InvalidDeidConfig(
            f"{rule.describe()}: generalize applies to primitive elements only, "
            f"not to {node.type} at {node.location()}"
        )
    return operations.generalize(node, context, setting)


def _add_security_labels(resource: dict[str, Any], recorded: set[str]) -> None:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        meta = {}
        resource["meta"] = meta
    security = meta.get("security")
    if not isinstance(security, list):
        security = []
        meta["security"] = security
    present = {str(item.get("code", "")).upper() for item in security if isinstance(item, dict)}
    for operation, label in SECURITY_LABELS:
        if operation in recorded and label["code"].upper() not in present:
            security.append(dict(label))


def _empty(resource: dict[str, Any]) -> DeidResult:
    redacted = dict(SECURITY_LABELS[0][1])
    empty = {"resourceType": resource["resourceType"], "meta": {"security": [redacted]}}
    return DeidResult(resource=empty, changed=0, operations=frozenset({operations.REDACT}))


def _with_default_keys(config: AnonymizerConfig, rng: random.Random) -> Any:
    # GenerateDefaultParametersIfNotConfigured: empty keys become random ones (for this
    # engine only), so an unkeyed configuration never hashes with a guessable key.
    parameters = config.parameters
    shared = rng.randbytes(16).hex()
    return replace(
        parameters,
        date_shift_key=parameters.date_shift_key or rng.randbytes(16).hex(),
        crypto_hash_key=parameters.crypto_hash_key or shared,
        encrypt_key=parameters.encrypt_key or shared,
    )


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value
