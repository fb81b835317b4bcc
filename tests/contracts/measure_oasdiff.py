"""Spec compatibility measured on the spec pairs of oasdiff's checker tests.

Usage::

    python tests/contracts/measure_oasdiff.py [MIRROR] [--verbose]

``MIRROR`` is a git directory of the public oasdiff repository (a clone of
https://github.com/oasdiff/oasdiff, bare or not; default: ``$OASDIFF_REPO``); it is read with ``git show`` at run time and
nothing of it is kept: its ``data/`` folder is extracted into a temporary folder that
is removed at the end.

How a pair and its expected outcome are found (a heuristic reading of the Go tests):

* every ``func TestXxx(t *testing.T)`` of ``checker/*_test.go`` (each ``t.Run`` subtest
  on its own) that loads two documents (``open(...)``, ``l(t, N)``, ``loadFrom(...)``,
  ``load.NewSpecInfo(...)``, or ``d(t, config, N1, N2)``) and diffs them once, in the
  order the diff call names them;
* the rule ids the test expects are the ``checker.XxxId`` constants it names outside
  ``requireNoChange``, ``require.False``, ``require.NotEqual``; their levels come from
  ``checker/rules.go``;
* a test comparing a file with itself expects nothing of the pair (whatever ids it
  names, for instance in a filter list);
* breaking: at least one expected id is at level ``ERR``; compatible: the test
  expects an empty result (``require.Empty``, ``require.Len(t, errs, 0)``) or only
  ``WARN``/``INFO`` ids. A pair named by several tests is breaking if any says so;
* a test that changes a loaded document in Go (``s2.Spec.Paths.Value("/x").Get.Parameters
  .GetByInAndName(openapi3.ParameterInQuery, "id").Required = true``) has those statements
  replayed on the document's dict: a chain of paths, operations, parameters, bodies,
  responses, headers, components, properties and extensions ending in a field
  (``Type``, ``MaxLength``, ``Enum``, ``ReadOnly``, ...) set to a literal, a local
  variable or ``nil``, or a ``.Delete(...)``; a pair whose statements cannot be replayed
  on the files is listed (``--verbose``) and not counted.

Tests it cannot classify, and skips:

* tests that change a loaded document in ways the replay does not read (a helper taking
  the document, a multi-line value, a security scheme): the pair on disk is not what is
  compared;
* tests with a policy our checker has no equivalent of: ``WithDeprecation`` (minimum
  deprecation days), ``WithAttributes``, severity overrides, stability thresholds
  (``stabilityChanges``), excluded elements, ``GetPathsDiff`` (several documents per side);
* table-driven tests (a ``for`` over a table of cases), tests loading a document
  through a computed name (``fmt.Sprintf``), tests diffing more than once;
* tests that name no rule id and expect neither an empty result nor a level.

It prints: breaking pairs caught (any ``ERR``) and caught with an expected rule id,
compatible pairs flagged at ``ERR`` (apart: those flagged only by rules outside the one
check a ``singleCheckConfig`` test ran, which are often real changes the test did not look
at), crashes, the list of misses and false alarms, and every document of ``data/``
compared with itself (which must report nothing). The exit status is 0 whatever the
figures: it measures, it does not gate. Not part of ``make test``: it needs the mirror.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crosscheck.contracts.compat import ERR, bundle, compatibility_changes

DEFAULT_MIRROR = os.environ.get("OASDIFF_REPO")

_TEST = re.compile(r"^func (Test\w+)\(t \*testing\.T\) \{\n(.*?)^\}", re.S | re.M)
_ID_CONST = re.compile(r'\b(\w+Id)\s*=\s*"([a-z0-9-]+)"')
_RULE = re.compile(r"newBackwardCompatibilityRule\((\w+),\s*(ERR|WARN|INFO|NONE),\s*(\w+)")
_SINGLE = re.compile(r"singleCheckConfig\(checker\.(\w+)")
_DATA_FN = re.compile(r'(\w+)\s*=\s*dataFileFn\("([^"]+)"\)')
_STRING_CONST = re.compile(r'^\s*(\w+)\s*:?=\s*"([^"]+\.(?:ya?ml|json))"', re.M)
_LOAD = re.compile(
    r"\b(\w+)(?:,\s*\w+)?\s*:?=\s*(?:open\(([^(),]*(?:\([^()]*\))?)[,)]|l\(t,\s*(\d+)\)|"
    r'loadFrom\(t,\s*"([^"]+)",\s*(\d+)\)|load\.NewSpecInfo\(\w+,\s*load\.NewSource\(([^()]*)\)\))'
)
_D_CALL = re.compile(r"\bd\(t,\s*[^,]+?,\s*(\d+),\s*(\d+)[,)]")
_DIFF = re.compile(r"diff\.GetWithOperationsSourcesMap\([^,]+?(?:\([^()]*\))?,\s*(\w+),\s*(\w+)\)")
_UNSUPPORTED = re.compile(
    r"WithDeprecation|WithAttributes|WithSeverityLevels|stabilityChanges|Exclude|GetPathsDiff|"
    r"fmt\.Sprintf|range \[\]struct|range (?:tests|cases|testCases)\b|StabilityLevel\s*=",
    re.M,
)


@dataclass
class Pair:
    base: str
    revision: str
    edits: tuple = ()  # (side, Go chain, Go value or None for a delete, the test's local values as JSON)
    tests: list[str] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)  # rule ids expected at ERR
    others: set[str] = field(default_factory=set)  # rule ids expected at WARN/INFO
    breaking: bool = False
    scope: set[str] | None = field(default_factory=set)  # rule ids the tests looked at; None: every rule

    @property
    def name(self) -> str:
        edited = f" (+{len(self.edits)} edits in Go)" if self.edits else ""
        return f"{self.base} -> {self.revision}{edited}"

    def documents(self, root: Path) -> tuple[dict, dict]:
        """Both documents as the test compares them: read, changed by its Go statements, bundled."""
        paths = [(root / "checker" / name).resolve() for name in (self.base, self.revision)]
        docs = {
            side: yaml.safe_load(path.read_text(encoding="utf-8")) for side, path in zip(("base", "revision"), paths)
        }
        for side, chain, value, local in self.edits:
            replay(docs[side], chain, value, json.loads(local))
        return bundle(docs["base"], paths[0]), bundle(docs["revision"], paths[1])


def git(mirror: str, *args: str) -> str:
    return subprocess.run(["git", "-C", mirror, *args], check=True, capture_output=True, text=True).stdout


def read_catalogue(mirror: str, go_files: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, set[str]]]:
    """(Go constant -> rule id, rule id -> level, check name -> its rule ids)."""
    ids: dict[str, str] = {}
    for path in go_files:
        if not path.endswith("_test.go"):
            ids.update(_ID_CONST.findall(git(mirror, "show", f"HEAD:{path}")))
    rules = _RULE.findall(git(mirror, "show", "HEAD:checker/rules.go"))
    levels = {ids[const]: level for const, level, _ in rules if const in ids}
    checks: dict[str, set[str]] = {}
    for const, _, check in rules:
        checks.setdefault(check, set()).add(ids.get(const, const))
    return ids, levels, checks


def resolve_file(arg: str, helpers: dict[str, str], consts: dict[str, str]) -> str | None:
    arg = arg.strip()
    m = re.fullmatch(r'"([^"]+)"', arg)
    if m:
        return m.group(1)
    m = re.fullmatch(r'(\w+)\("([^"]+)"\)', arg)
    if m and m.group(1) in helpers:
        return f"../data/{helpers[m.group(1)]}/{m.group(2)}"
    return consts.get(arg)


# -- Go statements that change a loaded document, replayed on its dict ---------------------------

_FIELDS = {
    "Type": "type",
    "Format": "format",
    "MaxLength": "maxLength",
    "MinLength": "minLength",
    "Max": "maximum",
    "Min": "minimum",
    "MaxItems": "maxItems",
    "MinItems": "minItems",
    "Pattern": "pattern",
    "Required": "required",
    "ReadOnly": "readOnly",
    "WriteOnly": "writeOnly",
    "Enum": "enum",
    "Default": "default",
    "Deprecated": "deprecated",
    "Nullable": "nullable",
    "OperationID": "operationId",
    "Tags": "tags",
    "Description": "description",
    "Const": "const",
}
_CONTAINERS = {
    "Paths": "paths",
    "Components": "components",
    "Schemas": "schemas",
    "Parameters": "parameters",
    "RequestBody": "requestBody",
    "Responses": "responses",
    "Content": "content",
    "Schema": "schema",
    "Properties": "properties",
    "Headers": "headers",
    "Items": "items",
}
_METHODS = {m.capitalize(): m for m in ("get", "put", "post", "delete", "options", "head", "patch", "trace")}
_TOKEN = re.compile(r"\.(\w+)(?:\(([^()]*)\))?|\[([^\]]+)\]")
_LOCAL = re.compile(r"^\s*(\w+)\s*:=\s*(.+?)\s*$", re.M)


GO_CONSTS: dict[str, Any] = {}  # string constants of the test files (paths they change)


class Unsupported(Exception):
    """A statement the replay does not understand: the test is skipped."""


def go_value(text: str, local: dict[str, Any]) -> Any:
    """A Go literal of the kinds the tests assign (strings, numbers, booleans, type and string lists)."""
    text = text.strip()
    if text.startswith("&"):
        text = text[1:]
    if re.fullmatch(r'"[^"]*"', text):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "nil":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    m = re.fullmatch(r"(?:u?int\d*|float\d+)\((.+)\)", text)
    if m:
        return go_value(m.group(1), local)
    m = re.fullmatch(r"toJson\(t,\s*(.+)\)", text)
    if m:
        return go_value(m.group(1), local)
    m = re.fullmatch(r"(openapi3\.Types|\[\](?:string|any|interface\{\}))\{(.*)\}", text)
    if m:
        items = [go_value(v, local) for v in m.group(2).split(",") if v.strip()]
        if m.group(1) == "openapi3.Types" and len(items) == 1:
            return items[0]
        return items
    if re.fullmatch(r"\w+", text) and text in local:
        return local[text]
    raise Unsupported(text)


def go_locals(body: str, consts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The literal values a test's body names (after ``consts``, those of the test files)."""
    local: dict[str, Any] = dict(consts or {})
    for name, value in _LOCAL.findall(body):
        try:
            local[name] = go_value(value, local)
        except Unsupported:
            continue
    return local


def _deref(doc: dict, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _child(node: Any, key: Any, create: bool = False) -> Any:
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    if not isinstance(node, dict):
        raise Unsupported(f"no {key}")
    for k in (key, int(key) if isinstance(key, str) and key.isdigit() else None):
        if k is not None and k in node:
            return node[k]
    if create:
        node[key] = {}
        return node[key]
    raise Unsupported(f"no {key}")


def replay(doc: dict, chain: str, value_text: str | None, local: dict[str, Any]) -> None:
    """Apply ``<chain> = <value>`` (or a ``.Delete(...)`` call when ``value_text`` is None) to ``doc``."""
    tokens = [(f, a, i) for f, a, i in _TOKEN.findall(chain)]
    if not tokens:
        raise Unsupported(chain)
    node: Any = doc
    last = len(tokens) - 1
    for n, (field_name, args, index) in enumerate(tokens):
        final = n == last
        if index:
            key = go_value(index, local) if not index.startswith("diff.") else "x-sunset"
            if index == "diff.SunsetExtension":
                key = "x-sunset"
            if final:
                value = go_value(value_text or "", local)
                if value is None:
                    node.pop(key, None)
                else:
                    node[key] = value
                return
            node = _deref(doc, _child(node, key))
            continue
        if field_name == "Delete" and final and value_text is None:
            node.pop(go_value(args, local), None)
            return
        if field_name == "DeleteParam" and final and value_text is None:
            where, name = (a.strip() for a in args.split(","))
            where = where.replace("openapi3.ParameterIn", "").lower()
            kept = [
                p
                for p in node.get("parameters") or []
                if not (_deref(doc, p).get("in") == where and _deref(doc, p).get("name") == go_value(name, local))
            ]
            node["parameters"] = kept
            return
        if field_name in ("Value", "GetByInAndName"):
            if field_name == "GetByInAndName":
                where, name = (a.strip() for a in args.split(","))
                where = where.replace("openapi3.ParameterIn", "").lower()
                found = [
                    p
                    for p in (_deref(doc, p) for p in node)
                    if p.get("in") == where and p.get("name") == go_value(name, local)
                ]
                if len(found) != 1:
                    raise Unsupported(f"parameter {name}")
                node = found[0]
            elif args:
                node = _deref(doc, _child(node, go_value(args, local)))
            else:
                node = _deref(doc, node)
            continue
        if args:
            raise Unsupported(field_name)
        if field_name == "Extensions":
            continue  # extensions are keys of the node itself
        if final:
            if field_name not in _FIELDS:
                raise Unsupported(field_name)
            value = go_value(value_text or "", local)
            if value is None:
                node.pop(_FIELDS[field_name], None)
            else:
                node[_FIELDS[field_name]] = value
            return
        if field_name in _METHODS:
            node = _child(node, _METHODS[field_name])
        elif field_name in _CONTAINERS:
            node = _deref(doc, _child(node, _CONTAINERS[field_name], create=field_name in ("Properties", "Extensions")))
        else:
            raise Unsupported(field_name)
    raise Unsupported(chain)


_HELPER_CALLS = (  # the test files' helpers that change a document, written as the statements they run
    (
        r"setRequestBodyType\(t,\s*(\w+),\s*(.+)\)",
        r'\1.Spec.Paths.Value("/test").Post.RequestBody.Value.Content["application/json"].Schema.Value.Type = \2',
    ),
    (
        r"setResponseBodyType\(t,\s*(\w+),\s*(.+)\)",
        r'\1.Spec.Paths.Value("/test").Get.Responses.Value("200").Value.Content["application/json"].Schema.Value.Type = \2',
    ),
    (
        r"responseHeaderSchema\((\w+)\)\.(\w+)\s*=\s*(.+)",
        r'\1.Spec.Paths.Value(installCommandPath).Get.Responses.Value("default").Value'
        r'.Headers["X-RateLimit-Limit"].Value.Schema.Value.\2 = \3',
    ),
    (r"delete\((\w+\.Spec\S*),\s*(\S+)\)", r"\1.Delete(\2)"),
    (r"deleteResponseHeader\((\w+\.Spec\S*),\s*(\S+)\)", r"\1.Headers.Delete(\2)"),
    (r"deleteParam\((\w+\.Spec\S*),\s*([\w.]+),\s*(\S+)\)", r"\1.DeleteParam(\2, \3)"),
)


def _helper_calls(line: str) -> str:
    for pattern, statement in _HELPER_CALLS:
        line = re.sub(rf"^(\s*){pattern}\s*$", rf"\g<1>{statement}", line)
    return line


def mutations(body: str, specs: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """The statements changing a loaded document: (variable, chain, value text or None for a delete)."""
    found = []
    for line in (_helper_calls(line) for line in body.splitlines()):
        hits = [v for v in specs if re.search(rf"\b{v}\.Spec\b", line)]
        if not hits:
            if any(re.search(rf"\b(?!GetWithOperationsSourcesMap)\w+\((?:t,\s*)?{v}\b", line) for v in specs):
                raise Unsupported(line)
            continue
        m = re.fullmatch(rf"\s*({'|'.join(hits)})\.Spec((?:\.\w+(?:\([^()]*\))?|\[[^\]]+\])+)\s*=\s*(.+?)\s*", line)
        if m and not m.group(3).endswith("{") and ".Spec" not in m.group(3):
            found.append((m.group(1), m.group(2), m.group(3)))
            continue
        m = re.fullmatch(
            rf"\s*({'|'.join(hits)})\.Spec((?:\.\w+(?:\([^()]*\))?|\[[^\]]+\])+\.Delete\([^()]*\))\s*", line
        )
        if m:
            found.append((m.group(1), m.group(2), None))
            continue
        raise Unsupported(line)
    return found


def subtests(name: str, body: str) -> list[tuple[str, str]]:
    """A test's ``t.Run`` subtests as tests of their own (each with the lines before the first)."""
    if "t.Run(" not in body or _UNSUPPORTED.search(body):
        return [(name, body)]
    chunks = re.split(r'\bt\.Run\("([^"]+)"', body)
    return [(f"{name}/{chunks[i]}", chunks[0] + chunks[i + 1]) for i in range(1, len(chunks), 2)]


def classify(body: str, ids: dict[str, str], levels: dict[str, str], helpers, consts) -> tuple | str:
    """(base, revision, expected ids) or the reason the test is skipped."""
    if _UNSUPPORTED.search(body):
        return "policy, table or computed name"
    specs: dict[str, str] = {}
    for m in _LOAD.finditer(body):
        var, arg, number, prefix, version, source = m.groups()
        if arg is not None or source is not None:
            path = resolve_file(arg if arg is not None else source, helpers, consts)
        elif number is not None:
            path = f"../data/openapi-test{number}.yaml"
        else:
            path = f"{prefix}spec{version}.yaml"
        if path is None:
            return "unresolved file name"
        specs[var] = path
    d_calls, diffs = _D_CALL.findall(body), _DIFF.findall(body)
    if len(d_calls) + len(diffs) != 1:
        return "not exactly one diff"
    if d_calls:
        base, revision = (f"../data/openapi-test{n}.yaml" for n in d_calls[0])
    else:
        a, b = diffs[0]
        if a not in specs or b not in specs:
            return "diffed documents not loaded from files"
        base, revision = specs[a], specs[b]
    try:
        statements = mutations(body, specs)
    except Unsupported:
        return "document changed in code, not replayable"
    sides = {a: "base", b: "revision"} if not d_calls else {}
    if any(var not in sides for var, _, _ in statements):
        return "document changed in code, not replayable"
    local = json.dumps(go_locals(body, GO_CONSTS), sort_keys=True)
    edits = tuple((sides[var], chain, value, local) for var, chain, value in statements)
    if base == revision and not edits:  # the same file on both sides: nothing can be expected of the pair
        return base, revision, set(), edits
    negated = set()
    for m in re.finditer(r"(requireNoChange\([^)]*\)|require\.(?:False|NotEqual|NotContains)\([^\n]*)", body):
        negated.update(re.findall(r"checker\.(\w+Id)\b", m.group(1)))
    expected = {ids[c] for c in re.findall(r"checker\.(\w+Id)\b", body) if c in ids and c not in negated}
    empty = bool(re.search(r"require\.Empty\(t,\s*\w+\)|require\.Len\(t,\s*\w+,\s*0\)", body))
    if not expected and not empty:
        if re.search(r"require\.Equal\(t,\s*checker\.ERR\b", body):
            return base, revision, {"(any ERR)"}, edits
        return "no rule id and no empty result expected"
    return base, revision, expected, edits


def collect(mirror: str) -> tuple[dict[tuple, Pair], dict[str, int], set[str]]:
    files = git(mirror, "ls-tree", "-r", "--name-only", "HEAD", "checker/").split()
    go_files = [f for f in files if f.endswith(".go") and f.count("/") == 1]
    ids, levels, checks = read_catalogue(mirror, go_files)
    tests = [f for f in go_files if f.endswith("_test.go")]
    helpers: dict[str, str] = {}
    texts = {f: git(mirror, "show", f"HEAD:{f}") for f in tests}
    for text in texts.values():
        helpers.update(_DATA_FN.findall(text))
        GO_CONSTS.update(re.findall(r'^\s*(\w+)\s*=\s*"([^"]*)"\s*$', text, re.M))
    pairs: dict[tuple, Pair] = {}
    skipped: dict[str, int] = {}
    for text in texts.values():
        for name, body in [part for test in _TEST.findall(text) for part in subtests(*test)]:
            consts = dict(_STRING_CONST.findall(text)) | dict(_STRING_CONST.findall(body))
            if "diff." not in body and not _D_CALL.search(body):
                continue
            found = classify(body, ids, levels, helpers, consts)
            if isinstance(found, str):
                skipped[found] = skipped.get(found, 0) + 1
                continue
            base, revision, expected, edits = found
            pair = pairs.setdefault((base, revision, edits), Pair(base, revision, edits))
            pair.tests.append(name)
            single = _SINGLE.search(body)
            if single is None or pair.scope is None:
                pair.scope = None
            else:
                pair.scope |= checks.get(single.group(1), set())
            for rule in expected:
                if rule == "(any ERR)" or levels.get(rule) == ERR:
                    pair.expected.add(rule)
                    pair.breaking = True
                else:
                    pair.others.add(rule)
    known = set(levels)
    for pair in pairs.values():
        if pair.scope is not None:  # a rule oasdiff does not have is in every test's scope
            pair.scope |= {"(unknown)"}
        pair.others -= pair.expected
    return pairs, skipped, known


def self_comparisons(root: Path) -> tuple[int, list[str]]:
    """Every OpenAPI document of ``data/`` compared with itself: (how many, those reporting something)."""
    count, noisy = 0, []
    for path in sorted((root / "data").rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if not isinstance(spec, dict) or "openapi" not in spec:
            continue
        count += 1
        name = path.relative_to(root)
        try:
            changes = compatibility_changes(bundle(spec, path), bundle(yaml.safe_load(path.read_text()), path))
        except Exception as exc:  # a crash is a finding of this measure
            noisy.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if changes:
            noisy.append(f"{name}: " + "; ".join(f"{c.level} {c.rule} {c}" for c in changes))
    return count, noisy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mirror", nargs="?", default=DEFAULT_MIRROR, help="git directory of the oasdiff repository")
    parser.add_argument("--verbose", action="store_true", help="also list every pair caught or passed")
    args = parser.parse_args()
    if not args.mirror:
        parser.error("give the oasdiff repository: git clone https://github.com/oasdiff/oasdiff, then pass its path")
    pairs, skipped, known = collect(args.mirror)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "checker").mkdir()
        archive = subprocess.run(
            ["git", "-C", args.mirror, "archive", "HEAD", "data"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        caught = exact = flagged = outside = 0
        crashes: list[str] = []
        unreplayed: list[str] = []
        dropped: set[int] = set()
        misses: list[str] = []
        alarms: list[str] = []
        breaking = [p for p in pairs.values() if p.breaking]
        compatible = [p for p in pairs.values() if not p.breaking]
        for pair in sorted(pairs.values(), key=lambda p: p.name):
            try:
                old_doc, new_doc = pair.documents(root)
            except (Unsupported, KeyError, TypeError, AttributeError) as exc:
                unreplayed.append(f"{pair.name} [{', '.join(pair.tests)}]: {type(exc).__name__} {exc}")
                dropped.add(id(pair))
                continue
            try:
                changes = compatibility_changes(old_doc, new_doc)
            except Exception as exc:  # a crash is a finding of this measure
                crashes.append(f"{pair.name}: {type(exc).__name__}: {exc}")
                if args.verbose:
                    traceback.print_exc()
                continue
            errors = sorted({c.rule for c in changes if c.level == ERR})
            shown = "; ".join(f"{c.level} {c.rule} {c}" for c in changes) or "(nothing)"
            if pair.breaking:
                if errors:
                    caught += 1
                    exact += bool(set(errors) & pair.expected)
                    if args.verbose and not set(errors) & pair.expected:
                        print(f"  caught by other rules {pair.name}: expected {sorted(pair.expected)}, got {errors}")
                else:
                    misses.append(f"{pair.name} [{', '.join(pair.tests)}] expected {sorted(pair.expected)}: {shown}")
            elif errors:
                in_scope = pair.scope is None or any(r in pair.scope or r not in known for r in errors)
                flagged += in_scope
                outside += not in_scope
                label = "" if in_scope else " (outside the checks the tests ran)"
                line = f"{pair.name}{label} [{', '.join(pair.tests)}] expected only {sorted(pair.others)}: {shown}"
                alarms.append(line)
            elif args.verbose:
                print(f"  ok {pair.name}")
        selves, noisy = self_comparisons(root)
    print(f"tests skipped (cannot classify): {sum(skipped.values())} {dict(sorted(skipped.items()))}")
    print(f"pairs whose Go edits could not be replayed (not counted): {len(unreplayed)}")
    breaking = [p for p in breaking if id(p) not in dropped]
    compatible = [p for p in compatible if id(p) not in dropped]
    print(f"breaking pairs caught: {caught}/{len(breaking)} = {100 * caught / max(len(breaking), 1):.1f} %")
    print(f"  of which with an expected rule id: {exact}/{len(breaking)}")
    print(f"compatible pairs flagged: {flagged}/{len(compatible)} = {100 * flagged / max(len(compatible), 1):.1f} %")
    print(f"  and flagged only by rules outside the one check the tests ran: {outside}")
    print(f"crashes: {len(crashes)}")
    print(f"documents of data/ compared with themselves that report anything: {len(noisy)}/{selves}")
    for line in noisy:
        print(f"  self {line}")
    if args.verbose:
        for line in unreplayed:
            print(f"  not replayed {line}")
    for line in crashes:
        print(f"  crash {line}")
    for line in misses:
        print(f"  missed {line}")
    for line in alarms:
        print(f"  flagged {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
