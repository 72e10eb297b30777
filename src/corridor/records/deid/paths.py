"""Rule paths: FHIRPath through ``fhirpathpy``, plus ``nodesByType`` and ``nodesByName``.

Pure. A rule's path is split as the Microsoft tool splits it
(``AnonymizationFhirPathRule``): an optional leading resource type, then an expression
evaluated with the resource as its focus. Three shapes never reach the FHIRPath engine,
exactly as upstream:

* ``nodesByType('T')`` / ``nodesByName('n')``, optionally followed by one child name, are
  answered from per-resource look-up tables of the resource's elements, not entering
  nested resources (``AnonymizationVisitor.GetMatchNodes``);
* a path that is only a resource type (``Patient``, ``Resource``) matches the resource;
* a plain chain of child names (``Observation.component.value``) is FHIRPath member
  navigation (FHIRPath N1 §5.1), done on the element tree directly for speed.

Everything else is compiled once with ``fhirpathpy`` (R4 model, so choice types and
``ofType`` work) with ``nodesByType``/``nodesByName`` added as functions, and the result
nodes are mapped back to elements by the location ``fhirpathpy`` reports for each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import fhirpathpy
import fhirpathpy.models
from antlr4 import CommonTokenStream, InputStream, Token
from antlr4.error.ErrorListener import ErrorListener
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

from corridor.records.deid.tree import Element

_R4 = fhirpathpy.models.models["r4"]
# fhirpathpy's node factory is untyped; this is its signature as used here.
_create_node: Callable[..., ResourceNode] = ResourceNode.create_node
# Upstream's patterns (AnonymizationFhirPathRule.TypeRuleRegex / NameRuleRegex / s_pathRegex).
_TYPE_RULE = re.compile(
    r"""^nodesByType\(['"](?P<key>[A-Za-z0-9]+)['"]\)(\.(?P<child>[A-Za-z0-9]+))?$"""
)
_NAME_RULE = re.compile(
    r"""^nodesByName\(['"](?P<key>[A-Za-z0-9]+)['"]\)(\.(?P<child>[A-Za-z0-9]+))?$"""
)
_RESOURCE_PREFIX = re.compile(r"^(?P<type>[A-Z][a-zA-Z]*)?(\.)?(?P<expression>.*?)$", re.DOTALL)
_MEMBER_CHAIN = re.compile(r"^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$")
# FHIRPath N1 §6.3 makes `x as T` an error when x has several items; the Microsoft tool's
# engine filters instead, and its HIPAA sample relies on that
# ("FamilyMemberHistory.condition.onset as Age"), so a trailing `as T` reads as ofType(T).
_TRAILING_AS = re.compile(r"^(?P<left>.+?)\s+as\s+(?P<type>[A-Za-z][A-Za-z0-9]*)$", re.DOTALL)


class PathError(Exception):
    """A path could not be compiled or evaluated (the caller names the rule)."""


class _RaisingListener(ErrorListener):  # type: ignore[misc]  # antlr4 is untyped
    # antlr's callback: its name and arguments are fixed by the runtime.
    def syntaxError(  # noqa: N802, PLR0917
        self,
        recognizer: Any,  # noqa: ARG002
        offending: Any,  # noqa: ARG002
        line: int,  # noqa: ARG002
        column: int,
        msg: str,
        e: Any,  # noqa: ARG002
    ) -> None:
        """Refuse the expression at the first syntax error."""
        raise PathError(f"FHIRPath syntax error at column {column + 1}: {msg}")


def check_syntax(expression: str) -> None:
    """Refuse ``expression`` unless the FHIRPath grammar reads all of it.

    ``fhirpathpy.parse`` recovers from syntax errors silently (its error listener does
    nothing), so a broken path would only fail, or quietly match nothing, when used.
    """
    listener = _RaisingListener()
    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = FHIRPathParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    parser.expression()
    if parser.getCurrentToken().type != Token.EOF:
        raise PathError(f"FHIRPath syntax error: unexpected {parser.getCurrentToken().text!r}")


@dataclass(frozen=True)
class RulePath:
    """A rule path split into the resource type it applies to and how to match it."""

    text: str
    resource_type: str
    expression: str
    lookup: tuple[str, str, str] | None = None
    """``("type"|"name", key, child)`` for the look-up table shapes."""
    members: tuple[str, ...] | None = None
    """Child names for a plain member chain."""
    compiled: Callable[..., list[Any]] | None = field(default=None, compare=False)

    @property
    def is_resource_type_rule(self) -> bool:
        """True for a path that is only a resource type (``Patient``, ``Resource``)."""
        return self.text == self.resource_type


class PathEngine:
    """Compiles rule paths and evaluates them against element trees."""

    def __init__(self) -> None:
        self._focus: Element | None = None
        self._by_object: dict[int, Element] | None = None
        table = {
            "nodesByType": {"fn": self._nodes_by_type, "arity": {1: ["String"]}},
            "nodesByName": {"fn": self._nodes_by_name, "arity": {1: ["String"]}},
        }
        self._options = {"returnRawData": True, "userInvocationTable": table}

    # --- compiling ----------------------------------------------------------------------
    def compile_rule_path(self, path: str) -> RulePath:
        """Split and compile ``path``; raises :class:`PathError` when it is not valid."""
        match = _RESOURCE_PREFIX.match(path)
        resource_type = (match.group("type") or "") if match else ""
        expression = (match.group("expression") if match else "") or path
        for kind, pattern in (("type", _TYPE_RULE), ("name", _NAME_RULE)):
            found = pattern.match(path)
            if found:
                return RulePath(
                    text=path,
                    resource_type="",
                    expression=path,
                    lookup=(kind, found.group("key"), found.group("child") or ""),
                )
        rule = RulePath(text=path, resource_type=resource_type, expression=expression)
        if rule.is_resource_type_rule:
            return rule
        if _MEMBER_CHAIN.match(expression):
            return RulePath(
                text=path,
                resource_type=resource_type,
                expression=expression,
                members=tuple(expression.split(".")),
            )
        trailing = _TRAILING_AS.match(expression)
        if trailing:
            expression = f"({trailing.group('left')}).ofType({trailing.group('type')})"
        compiled = self.compile_expression(expression)
        self._dry_run(compiled, resource_type)
        return RulePath(
            text=path, resource_type=resource_type, expression=expression, compiled=compiled
        )

    def compile_expression(self, expression: str) -> Callable[..., list[Any]]:
        """Compile any FHIRPath expression with the R4 model and this engine's functions."""
        check_syntax(expression)
        try:
            return fhirpathpy.compile(expression, model=_R4, options=self._options)
        except Exception as exc:  # fhirpathpy raises plain exceptions from its parser
            raise PathError(f"invalid FHIRPath {expression!r}: {exc}") from exc

    def _dry_run(self, compiled: Callable[..., list[Any]], resource_type: str) -> None:
        # fhirpathpy checks function names only when it evaluates: do so once on an empty
        # resource so that a misspelt function fails when the configuration is loaded.
        kind = resource_type if resource_type not in {"", "Resource", "DomainResource"} else "Basic"
        sample: dict[str, Any] = {"resourceType": kind}
        try:
            self._evaluate(compiled, sample, None)
        except Exception as exc:  # fhirpathpy raises plain exceptions
            message = str(exc)
            if "Not implemented" in message:
                raise PathError(f"unknown FHIRPath function: {message}") from exc
            raise PathError(f"FHIRPath fails on an empty resource: {message}") from exc

    # --- matching -----------------------------------------------------------------------
    def match(self, rule: RulePath, resource: Element) -> list[Element]:
        """The elements of ``resource`` that ``rule`` selects."""
        if rule.lookup is not None:
            kind, key, child = rule.lookup
            found = (resource.by_type if kind == "type" else resource.by_name).get(key, [])
            if not child:
                return list(found)
            return [c for node in found for c in node.children if c.name == child]
        if rule.is_resource_type_rule:
            return [resource]
        if rule.members is not None:
            nodes = [resource]
            for name in rule.members:
                nodes = [c for node in nodes for c in node.children if c.name == name]
            return nodes
        assert rule.compiled is not None
        return self.evaluate_nodes(rule.compiled, resource)

    def evaluate_nodes(self, compiled: Callable[..., list[Any]], focus: Element) -> list[Element]:
        """Evaluate a compiled expression on ``focus``; the elements it returns, in order."""
        assert focus.obj is not None
        results = self._evaluate(compiled, focus.obj, focus)
        found: list[Element] = []
        seen: set[int] = set()
        for item in results:
            location = getattr(item, "propName", None)
            if not isinstance(item, ResourceNode):
                continue
            if location is None:
                node = focus if item.data is focus.obj else None
            else:
                node = focus.resolve(location)
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                found.append(node)
        return found

    def evaluate_value(
        self, compiled: Callable[..., list[Any]], value: Any, type_: str
    ) -> list[Any]:
        """Evaluate an expression whose focus (``$this``) is a primitive value of ``type_``."""
        node = _create_node(value, type_)
        return list(compiled(node, None))

    def _evaluate(
        self, compiled: Callable[..., list[Any]], data: Any, focus: Element | None
    ) -> list[Any]:
        previous, previous_map = self._focus, self._by_object
        self._focus = focus
        self._by_object = None  # built on first use by nodesByType / nodesByName
        try:
            return list(compiled(data, None))
        finally:
            self._focus, self._by_object = previous, previous_map

    # --- nodesByType / nodesByName as FHIRPath functions ------------------------------------
    def _nodes_by_type(self, inputs: Sequence[Any], type_name: str) -> list[ResourceNode]:
        return self._select(inputs, lambda node: node.type == type_name)

    def _nodes_by_name(self, inputs: Sequence[Any], name: str) -> list[ResourceNode]:
        return self._select(inputs, lambda node: node.name == name)

    def _select(self, inputs: Iterable[Any], keep: Callable[[Element], bool]) -> list[ResourceNode]:
        # Upstream: SelfAndDescendantsWithoutSubResource().Where(...) (FhirPathSymbolExtensions).
        focus = self._focus
        if focus is None:
            return []
        if self._by_object is None:
            self._by_object = _object_index(focus)
        selected: list[ResourceNode] = []
        for data in inputs:
            start = self._by_object.get(id(data))
            if start is None:
                continue
            selected.extend(
                _create_node(node.data(), node.type_path, propName=node.location(focus))
                for node in _self_and_descendants(start)
                if keep(node)
            )
        return selected


def _self_and_descendants(node: Element) -> Iterable[Element]:
    yield node
    pending = list(reversed(node.children))
    while pending:
        current = pending.pop()
        yield current
        if not current.is_resource:
            pending.extend(reversed(current.children))


def _object_index(focus: Element) -> dict[int, Element]:
    """JSON objects of ``focus``'s complex elements by identity, so functions can map back."""
    index = {id(focus.obj): focus}
    for node in _self_and_descendants(focus):
        if node.obj is not None:
            index[id(node.obj)] = node
    return index
