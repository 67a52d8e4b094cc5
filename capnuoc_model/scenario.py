"""Assumptions of the model: a defaults tree, scenario files that override it, and ``--set``.

Defaults file (``analysis/assumptions/defaults.yaml``)
    A nested YAML mapping. A mapping with the key ``value`` is an *assumption* (a leaf);
    any other mapping is a *group*. Names are letters, digits and ``_``; the dotted path of a
    leaf (``demand.uptake_half_life_months``) names it everywhere: scenarios, ``--set``, reports::

        uptake_half_life_months:
          value: 9                 # required: number, true/false or text (the central value)
          unit: months             # required: "%/year", "fraction", "l/person/day", "-", ...
          description: One sentence saying what it means.          # required
          reference: "assumption: households connect within a year"  # or "plan2026 §VI", a source id
          min: 0                   # optional range of the value and of the distribution
          max: 36
          choices: [a, b]          # optional: allowed values of a text assumption
          distribution: {kind: triangular, low: 6, mode: 9, high: 12}   # optional, null = fixed
          # {kind: uniform, low, high} | {kind: normal, mean, sd, low?, high?} (truncated)
          # | {kind: beta, alpha, beta, low: 0, high: 1} (scaled to [low, high])

    The value must lie in [min, max] and in the distribution's support; the support must lie
    in [min, max]. Unknown fields are errors.

Scenario file (``analysis/scenarios/*.yaml``)
    ``name`` and ``description`` (required), ``extends`` (optional: another scenario file,
    relative to this one; chains allowed, cycles are errors) and ``overrides``: a mapping that
    mirrors the defaults tree and holds only what differs. At a leaf, a scalar sets the value;
    a mapping may hold ``value``, ``distribution`` (a whole one, or null = fixed), ``min``,
    ``max``, ``description``, ``reference``.

Command line ``--set path=text`` (applied last; ``text`` is read as YAML)
    ``a.b=0.8`` sets the value, ``a.b.distribution=null`` makes it fixed,
    ``a.b.distribution.mode=10`` changes one parameter (also low/high/mean/sd/alpha/beta).

Errors: every problem is a :class:`Violation` ``file:line:path: problem (expected rule)``.
Line numbers come from ``yaml.compose`` nodes; pydantic ``loc`` tuples are mapped back to them.
For ``--set`` the file is ``--set`` and the line is the argument's position (1-based). All
problems of all files are raised together as one :class:`CapnuocInputError`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal, Mapping, Sequence, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, StringConstraints, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from scipy import stats

from capnuoc_model.errors import CapnuocInputError, Violation

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "analysis" / "assumptions" / "defaults.yaml"
YAML_EXPECTED = "valid YAML (check indentation and ':' after each key)"
OVERRIDE_FIELDS = ("value", "distribution", "min", "max", "description", "reference")
LEAF_MARKERS = {"value", "unit", "description", "reference", "min", "max", "choices"}
NAME = re.compile(r"[A-Za-z0-9_]+")
EXPONENT_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+")  # PyYAML reads 1e-3 as text
Loc = tuple[Union[str, int], ...]
Problem = tuple[Loc, str, str]  # (location inside the mapping validated, problem, expected)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
DIST_HELP = ("null or a distribution: {kind: triangular, low, mode, high}, {kind: uniform, low, high}, "
             "{kind: normal, mean, sd, low?, high?} or {kind: beta, alpha, beta, low, high}")
LEAF_HELP = {
    "value": "a number, true/false or text", "unit": "a unit such as 'fraction', 'months', '%/year' or '-'",
    "description": "one sentence saying what the assumption means",
    "reference": "a source id with a plan section such as '<source_id> §VI', a source id, or 'assumption: <reasoning>'",
    "min": "a number", "max": "a number", "choices": "a list of the allowed text values", "distribution": DIST_HELP,
}
HEADER_HELP = {
    "name": "a short name for the scenario, e.g. projects_slip",
    "description": "one or two sentences saying what the scenario changes",
    "extends": "the path of another scenario file, relative to this one",
    "overrides": "a mapping that mirrors the defaults tree",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Triangular(_Model):
    kind: Literal["triangular"]
    low: FiniteFloat
    mode: FiniteFloat
    high: FiniteFloat


class Uniform(_Model):
    kind: Literal["uniform"]
    low: FiniteFloat
    high: FiniteFloat


class Normal(_Model):
    kind: Literal["normal"]
    mean: FiniteFloat
    sd: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    low: FiniteFloat | None = None
    high: FiniteFloat | None = None


class Beta(_Model):
    kind: Literal["beta"]
    alpha: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    beta: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    low: FiniteFloat = 0.0
    high: FiniteFloat = 1.0


Distribution = Annotated[Union[Triangular, Uniform, Normal, Beta], Field(discriminator="kind")]
KINDS: dict[str, type[_Model]] = {"triangular": Triangular, "uniform": Uniform, "normal": Normal, "beta": Beta}


class Assumption(_Model):
    """One validated leaf of the tree."""

    value: bool | int | float | str
    unit: Text
    description: Text
    reference: Text
    # what a reader of the documents sees, in Vietnamese: a short label, the unit, one sentence
    label_vi: Text | None = None
    unit_vi: Text | None = None
    explanation_vi: Text | None = None
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
    choices: tuple[Text, ...] | None = Field(None, strict=False)
    distribution: Distribution | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _single_value(cls, v: Any) -> Any:
        if isinstance(v, (bool, int, str)) or (isinstance(v, float) and math.isfinite(v)):
            return v
        raise PydanticCustomError("single_value", "{given} is not a single value", {"given": _show(v)})


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Text
    description: Text
    extends: Text | None = None
    overrides: dict[str, Any] | None = None


# ---------------------------------------------------------------------------- small helpers


def _num(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _num(v)
    if v is None:
        return "nothing (null)"
    if isinstance(v, (dict, list)):
        return "a mapping" if isinstance(v, dict) else "a list"
    return f"'{v}'"


def _dot(parts: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in parts)


def _one_of(valid: Sequence[str], given: str, group: str = "") -> str:
    """'one of: a, b[ under 'group']; did you mean 'group.b'?' (the closest by difflib)."""
    close = difflib.get_close_matches(given, list(valid), n=1)
    prefix = f"{group}." if group else ""
    hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
    return "one of: " + ", ".join(valid) + (f" under '{group}'" if group else "") + hint


def _kind(v: Any) -> str:
    return "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else "text"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def support(d: Triangular | Uniform | Normal | Beta) -> tuple[float, float]:
    """The interval every draw of the distribution lies in."""
    low = -math.inf if d.low is None else d.low
    return low, math.inf if d.high is None else d.high


def expected_form(a: Assumption, kind: str | None = None) -> str:
    """What a valid value of this assumption looks like, e.g. 'a number between 0 and 1 (fraction)'."""
    kind = kind or _kind(a.value)
    if kind == "bool":
        return "true or false"
    if kind == "text":
        return "one of: " + ", ".join(a.choices) if a.choices else "text"
    lo, hi = a.min, a.max
    bounds = (f" between {_num(lo)} and {_num(hi)}" if lo is not None and hi is not None else
              f" of at least {_num(lo)}" if lo is not None else f" of at most {_num(hi)}" if hi is not None else "")
    return f"a number{bounds}" + (f" ({a.unit})" if a.unit != "-" else "")


def describe_distribution(a: Assumption | Triangular | Uniform | Normal | Beta | None) -> str:
    """Short text of the uncertainty: 'fixed', 'triangular(6, 9, 12)', 'normal(mean 3, sd 2) on [0, 12]'."""
    d = a.distribution if isinstance(a, Assumption) else a
    if d is None:
        return "fixed"
    if isinstance(d, Triangular):
        return f"triangular({_num(d.low)}, {_num(d.mode)}, {_num(d.high)})"
    if isinstance(d, Uniform):
        return f"uniform({_num(d.low)}, {_num(d.high)})"
    if isinstance(d, Normal):
        lo, hi = support(d)
        return f"normal(mean {_num(d.mean)}, sd {_num(d.sd)})" + ("" if (lo, hi) == (-math.inf, math.inf)
                                                                   else f" on [{_num(lo)}, {_num(hi)}]")
    return f"beta({_num(d.alpha)}, {_num(d.beta)}) on [{_num(d.low)}, {_num(d.high)}]"


# ---------------------------------------------------------------------------- validation of one leaf


def _check(a: Assumption, kind: str) -> list[Problem]:
    """Rules pydantic cannot express: type fixed by the defaults, range, choices, support."""
    v, form = a.value, expected_form(a, kind)
    if _kind(v) != kind:
        word = {"number": "a number", "bool": "true or false", "text": "text"}[kind]
        return [(("value",), f"{_show(v)} is not {word}", form)]
    misplaced = {"number": ("choices",), "text": ("min", "max", "distribution"),
                 "bool": ("min", "max", "distribution", "choices")}[kind]
    out: list[Problem] = [((f,), f"'{f}' does not apply to a {kind} assumption", f"no '{f}' here")
                          for f in misplaced if getattr(a, f) is not None]
    if kind == "text" and a.choices and v not in a.choices:
        out.append((("value",), f"{_show(v)} is not one of the choices", form))
    if kind != "number" or out:
        return out
    if a.min is not None and a.max is not None and a.min > a.max:
        return [(("min",), f"min {_num(a.min)} is above max {_num(a.max)}", "min ≤ max")]
    if (a.min is not None and v < a.min) or (a.max is not None and v > a.max):
        out.append((("value",), f"{_show(v)} is out of range", form))
    d = a.distribution
    if d is None:
        return out
    lo, hi = support(d)
    if isinstance(d, Triangular) and not d.low <= d.mode <= d.high:
        return out + [(("distribution", "mode"), f"mode {_num(d.mode)} is outside [{_num(lo)}, {_num(hi)}]",
                       "low ≤ mode ≤ high")]
    if lo >= hi:
        return out + [(("distribution", "high"), f"high {_num(hi)} is not above low {_num(lo)}", "low < high")]
    limits = f"[{_num(-math.inf if a.min is None else a.min)}, {_num(math.inf if a.max is None else a.max)}]"
    for end, name, bound, reach in (("low", "min", a.min, lo), ("high", "max", a.max, hi)):
        if bound is not None and (reach < bound if end == "low" else reach > bound):
            out.append((("distribution", end), f"the distribution reaches {_num(reach)}, beyond {name} {_num(bound)}",
                        f"a distribution inside {limits}"))
    if not lo <= v <= hi and not out:  # one message for a value out of range
        out.append((("value",), f"value {_show(v)} lies outside {describe_distribution(d)}",
                    f"a value from {_num(lo)} to {_num(hi)}, or also change the distribution (null makes it fixed)"))
    return out


def _from_pydantic(exc: ValidationError, model: type[BaseModel], help_: Mapping[str, str]) -> list[Problem]:
    """Pydantic errors as (loc, problem, expected), with the discriminator tag removed from loc."""
    out: list[Problem] = []
    for e in exc.errors(include_url=False):
        loc, typ, given = tuple(e["loc"]), e["type"], e.get("input")
        level: type[BaseModel] = model
        if len(loc) >= 2 and loc[0] == "distribution" and loc[1] in KINDS:
            level, loc = KINDS[str(loc[1])], (loc[0],) + loc[2:]
        key = str(loc[-1]) if loc else ""
        help_text = help_.get(key, "a number" if level is not model else "a valid value")
        if typ == "missing":
            out.append((loc, f"missing '{key}'", help_text))
        elif typ == "extra_forbidden":
            out.append((loc, f"unknown key '{key}'", _one_of(list(level.model_fields), key)))
        elif typ in ("union_tag_invalid", "union_tag_not_found"):
            tag = e.get("ctx", {}).get("tag")
            out.append((loc, f"unknown distribution kind {_show(tag)}" if tag else "the distribution has no 'kind'",
                        "kind: one of " + ", ".join(KINDS)))
        elif typ in ("model_type", "model_attributes_type", "dict_type"):
            out.append((loc, f"{_show(given)} is not a mapping", help_text))
        elif typ in ("float_type", "float_parsing", "finite_number", "int_type"):
            out.append((loc, f"{_show(given)} is not a {'finite ' if typ == 'finite_number' else ''}number", "a number"))
        elif typ == "greater_than":
            out.append((loc, f"{_show(given)} is not above {_num(e['ctx']['gt'])}", f"a number above {_num(e['ctx']['gt'])}"))
        elif typ in ("string_type", "string_too_short"):
            out.append((loc, f"'{key}' is empty" if typ == "string_too_short" else f"{_show(given)} is not text", help_text))
        elif typ in ("tuple_type", "list_type"):
            out.append((loc, f"{_show(given)} is not a list", help_text))
        else:
            out.append((loc, e["msg"], help_text))
    return out


def _validate(raw: Mapping[str, Any], kind: str | None = None) -> tuple[Assumption | None, list[Problem]]:
    try:
        a = Assumption.model_validate(raw)
    except ValidationError as exc:
        return None, _from_pydantic(exc, Assumption, LEAF_HELP)
    problems = _check(a, kind or _kind(a.value))
    return (None if problems else a), problems


def _override(base: Assumption, change: Mapping[str, Any]) -> tuple[Assumption | None, list[Problem]]:
    """The leaf with some fields replaced, validated against the kind of the original value."""
    new, problems = _validate({**base.model_dump(exclude_none=True), **change}, _kind(base.value))
    form = expected_form(base)  # a bad value is explained with the leaf's own rule
    return new, [(loc, p, form if loc == ("value",) and e == LEAF_HELP["value"] else e) for loc, p, e in problems]


# ---------------------------------------------------------------------------- YAML with line numbers


@dataclass
class _Doc:
    path: Path
    label: str
    strip: Loc = ()  # leading keys not shown in the column (scenario: 'overrides')
    data: Any = None
    ok: bool = True
    lines: dict[Loc, int] = field(default_factory=lambda: {(): 1})

    def line(self, loc: Loc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def column(self, loc: Loc) -> str | None:
        shown = loc[len(self.strip):] if loc[: len(self.strip)] == self.strip and len(loc) > len(self.strip) else loc
        return _dot(shown) or None

    def at(self, loc: Loc, problem: str, expected: str) -> Violation:
        return Violation(self.label, self.line(loc), self.column(loc), problem, expected)


def _build(node: yaml.Node, loc: Loc, loader: yaml.SafeLoader, doc: _Doc, out: list[Violation]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(loader.construct_object(key_node, True))
            here = loc + (key,)
            if key in result:
                out.append(Violation(doc.label, key_node.start_mark.line + 1, doc.column(here),
                                     f"key '{key}' appears twice", "each key once in a mapping"))
            doc.lines.setdefault(here, key_node.start_mark.line + 1)
            result[key] = _build(value_node, here, loader, doc, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[loc + (i,)] = item.start_mark.line + 1
        return [_build(item, loc + (i,), loader, doc, out) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:str" and node.style is None and EXPONENT_NUMBER.fullmatch(node.value):
        return float(node.value)
    return loader.construct_object(node, True)


def _parse(text: str, doc: _Doc) -> list[Violation]:
    """Fill doc.data and doc.lines from YAML text; syntax errors as violations with line and column."""
    out: list[Violation] = []
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # the reader already rejects control characters here
        node = loader.get_single_node()
        doc.data = None if node is None else _build(node, (), loader, doc, out)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        doc.ok, doc.data = False, None
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: locate it from its position
            before = text[: exc.position]
            line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
            return [Violation(doc.label, line, f"column {column}",
                              f"character U+{exc.character:04X} is not allowed in a YAML file", YAML_EXPECTED)]
        return [Violation(doc.label, mark.line + 1 if mark else None, f"column {mark.column + 1}" if mark else None,
                          f"YAML syntax error: {problem}", YAML_EXPECTED)]
    finally:
        if loader is not None:
            loader.dispose()
    return out


def _read(path: Path, strip: Loc = ()) -> tuple[_Doc, list[Violation]]:
    doc = _Doc(path, _display(path), strip)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc.ok = False
        problem = "file not found" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.__class__.__name__})"
        return doc, [Violation(doc.label, None, None, problem, "a YAML file saved as UTF-8")]
    return doc, _parse(text, doc)


# ---------------------------------------------------------------------------- trees and scenarios


class _Lookup:
    assumptions: Mapping[str, Assumption]

    def get(self, path: str) -> Assumption:
        try:
            return self.assumptions[path]
        except KeyError:
            close = difflib.get_close_matches(path, list(self.assumptions), n=1)
            raise KeyError(f"unknown assumption '{path}'" + (f"; did you mean '{close[0]}'?" if close else "")) from None

    def value(self, path: str) -> bool | int | float | str:
        """The deterministic (central) value."""
        return self.get(path).value

    def paths(self, prefix: str = "") -> list[str]:
        """Sorted leaf paths equal to or under the dotted prefix."""
        found = sorted(p for p in self.assumptions if not prefix or p == prefix or p.startswith(prefix + "."))
        if not found:
            raise KeyError(f"no assumption under '{prefix}'")
        return found

    def uncertain_paths(self) -> list[str]:
        return sorted(p for p, a in self.assumptions.items() if a.distribution is not None)

    def children(self, loc: Loc) -> list[str]:
        """Names one level below a group ('' group = the top)."""
        n = len(loc)
        return sorted({p.split(".")[n] for p in self.assumptions if tuple(p.split(".")[:n]) == loc and p.count(".") >= n})

    def __len__(self) -> int:
        return len(self.assumptions)


@dataclass(frozen=True)
class AssumptionTree(_Lookup):
    file: Path
    assumptions: Mapping[str, Assumption]


@dataclass(frozen=True)
class Scenario(_Lookup):
    name: str
    description: str
    files: tuple[Path, ...]
    sets: tuple[str, ...]
    assumptions: Mapping[str, Assumption]

    def fingerprint(self) -> str:
        """sha256 of the effective assumptions; independent of file layout, key order and 1 vs 1.0."""
        def canon(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: canon(v) for k, v in x.items()}
            if isinstance(x, list):
                return [canon(v) for v in x]
            return float(x) if isinstance(x, int) and not isinstance(x, bool) else x
        content = {p: canon(a.model_dump(mode="json")) for p, a in self.assumptions.items()}
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_records(self) -> list[dict[str, Any]]:
        return [{"path": p, "value": a.value, "unit": a.unit, "description": a.description,
                 "reference": a.reference, "distribution": describe_distribution(a)}
                for p, a in sorted(self.assumptions.items())]

    def with_value(self, path: str, value: Any) -> Scenario:
        """A copy with one value changed (validated; recorded in ``sets``), e.g. for sensitivity runs."""
        value = value.item() if isinstance(value, np.generic) else value
        new, problems = _override(self.get(path), {"value": value})
        if new is None:
            raise CapnuocInputError([Violation("with_value", None, _dot((path,) + loc), p, e) for loc, p, e in problems])
        setting = f"{path}={json.dumps(value, ensure_ascii=False)}"
        return replace(self, assumptions={**self.assumptions, path: new}, sets=self.sets + (setting,))


def _walk_defaults(doc: _Doc, data: Any, loc: Loc, leaves: dict[str, Assumption], out: list[Violation]) -> None:
    if not isinstance(data, dict) or not data:
        out.append(doc.at(loc, f"{_show(data)} is not a group of assumptions",
                          "a mapping of assumptions (each with value, unit, description and reference) or of groups"))
        return
    for key, sub in data.items():
        here = loc + (key,)
        if not NAME.fullmatch(key):
            out.append(doc.at(here, f"'{key}' is not a valid name", "letters a–z, digits and '_' (no dots or spaces)"))
        elif isinstance(sub, dict) and ("value" in sub or any(k in LEAF_MARKERS and not isinstance(v, dict)
                                                              for k, v in sub.items())):
            leaf, problems = _validate(sub)
            out.extend(doc.at(here + p[0], p[1], p[2]) for p in problems)
            if leaf is not None:
                leaves[_dot(here)] = leaf
        else:
            _walk_defaults(doc, sub, here, leaves, out)


def load_defaults(path: Path | str = DEFAULTS_FILE) -> AssumptionTree:
    """The validated defaults tree; every problem of the file in one CapnuocInputError."""
    doc, out = _read(Path(path))
    leaves: dict[str, Assumption] = {}
    if doc.ok:
        _walk_defaults(doc, doc.data, (), leaves, out)
    if out:
        raise CapnuocInputError(out, f"{len(set(out))} problem(s) in the assumptions file {doc.label}")
    return AssumptionTree(Path(path).resolve(), leaves)


def _read_chain(path: Path, out: list[Violation]) -> list[_Doc]:
    """The scenario file and the files it extends, base first."""
    chain: list[_Doc] = []
    while True:
        doc, problems = _read(path, ("overrides",))
        out.extend(problems)
        chain.append(doc)
        extends = doc.data.get("extends") if isinstance(doc.data, dict) else None
        if not isinstance(extends, str) or not extends.strip():
            return chain[::-1]
        path = (path.parent / extends.strip()).resolve()
        if path in [d.path for d in chain]:
            names = " → ".join(_display(d.path) for d in chain) + " → " + _display(path)
            out.append(doc.at(("extends",), f"'extends' makes a cycle: {names}",
                              "a chain of scenario files that ends at one without 'extends'"))
            return chain[::-1]
        if not path.is_file():
            out.append(doc.at(("extends",), f"file {_display(path)} not found", HEADER_HELP["extends"]))
            return chain[::-1]


def _collect(data: Any, loc: Loc, tree: AssumptionTree, doc: _Doc, out: list[Violation]) -> list[tuple[str, dict]]:
    """(leaf path, changed fields) for every override under loc; unknown keys become violations."""
    path = _dot(loc)
    where = ("overrides",) + loc
    if path in tree.assumptions:
        if not isinstance(data, dict):
            return [(path, {"value": data})]
        for key in data:
            if key not in OVERRIDE_FIELDS:
                out.append(doc.at(where + (key,), f"unknown key '{key}'", _one_of(OVERRIDE_FIELDS, key)))
        return [(path, {k: v for k, v in data.items() if k in OVERRIDE_FIELDS})]
    children = tree.children(loc)
    if not isinstance(data, dict):
        out.append(doc.at(where, f"{_show(data)} given for the group '{path or 'overrides'}'",
                          "a mapping of: " + ", ".join(children)))
        return []
    found: list[tuple[str, dict]] = []
    for key, sub in data.items():
        if key in children:
            found += _collect(sub, loc + (key,), tree, doc, out)
        else:
            out.append(doc.at(where + (key,), f"unknown key '{key}'", _one_of(children, key)))
    return found


def _parse_set(number: int, arg: str, tree: AssumptionTree, current: Mapping[str, Assumption],
               out: list[Violation]) -> tuple[str, dict] | None:
    """One --set argument as (leaf path, changed fields), or None after recording its problem."""
    key, equals, text = (s.strip() for s in arg.partition("="))
    if not equals or not key:
        problem = f"'{arg}' has no '='" if not equals else f"'{arg}' has no path before '='"
        out.append(Violation("--set", number, None, problem, "path.to.assumption=value, e.g. demand.growth=0.8"))
        return None
    doc = _Doc(Path("--set"), "--set")
    if _parse(text, doc):
        out.append(Violation("--set", number, key, f"'{text}' cannot be read", "a number, true/false, null or text"))
        return None
    parts = key.split(".")
    depth = next((k for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in current), 0)
    if depth == 0 and tree.children(tuple(parts)):
        out.append(Violation("--set", number, key, f"'{key}' is a group, not an assumption",
                             "one of: " + ", ".join(tree.paths(key))))
        return None
    if depth == 0:
        d = max(k for k in range(len(parts)) if tree.children(tuple(parts[:k])))
        out.append(Violation("--set", number, key, f"unknown assumption '{key}'",
                             _one_of(tree.children(tuple(parts[:d])), parts[d], _dot(parts[:d]))))
        return None
    leaf, rest, a = ".".join(parts[:depth]), parts[depth:], current[".".join(parts[:depth])]
    if not rest or (len(rest) == 1 and rest[0] in OVERRIDE_FIELDS):
        return leaf, {rest[0] if rest else "value": doc.data}
    if len(rest) == 2 and rest[0] == "distribution":
        if a.distribution is None:
            out.append(Violation("--set", number, key, f"'{leaf}' has no distribution",
                                 "a whole distribution in a scenario file"))
            return None
        params = [f for f in type(a.distribution).model_fields if f != "kind"]
        if rest[1] in params:
            return leaf, {"distribution": {**a.distribution.model_dump(exclude_none=True), rest[1]: doc.data}}
        out.append(Violation("--set", number, key, f"unknown key '{rest[1]}'", _one_of(params, rest[1])))
        return None
    out.append(Violation("--set", number, key, f"unknown key '{_dot(rest)}'", _one_of(OVERRIDE_FIELDS, _dot(rest))))
    return None


def defaults_for(path: Path | str | None) -> Path:
    """The defaults a scenario file overrides: ``../assumptions/defaults.yaml`` beside its folder when there is one
    (a province keeps its assumptions with its scenarios), else the shipped defaults."""
    if path is not None:
        beside = Path(path).resolve().parent.parent / "assumptions" / "defaults.yaml"
        if beside.is_file():
            return beside
    return DEFAULTS_FILE


def load_scenario(path: Path | str | None, sets: Sequence[str] = (), defaults_path: Path | str | None = None) -> Scenario:
    """Defaults, then the scenario chain (base first), then --set; path None = the defaults alone.

    ``defaults_path`` None: :func:`defaults_for` the scenario file.
    """
    defaults_path = defaults_for(path) if defaults_path is None else defaults_path
    tree = load_defaults(defaults_path)
    current: dict[str, Assumption] = dict(tree.assumptions)
    out: list[Violation] = []
    chain = _read_chain(Path(path).resolve(), out) if path is not None else []
    for doc in (d for d in chain if d.ok):
        data = doc.data if doc.data is not None else {}  # an empty file: missing name and description
        if not isinstance(data, dict):
            out.append(doc.at((), f"{_show(data)} is not a scenario", "a mapping with name, description and overrides"))
            continue
        try:
            _Header.model_validate(data)
        except ValidationError as exc:
            out.extend(doc.at(loc, p, e) for loc, p, e in _from_pydantic(exc, _Header, HEADER_HELP))
        if isinstance(data.get("overrides"), dict):
            for leaf, change in _collect(data["overrides"], (), tree, doc, out):
                new, problems = _override(current[leaf], change)
                out.extend(doc.at(("overrides", *leaf.split("."), *loc), p, e) for loc, p, e in problems)
                current[leaf] = new or current[leaf]
    for number, arg in enumerate(sets, start=1):
        parsed = _parse_set(number, arg, tree, current, out)
        if parsed:
            new, problems = _override(current[parsed[0]], parsed[1])
            out.extend(Violation("--set", number, _dot((parsed[0],) + loc), p, e) for loc, p, e in problems)
            current[parsed[0]] = new or current[parsed[0]]
    if out:
        where = chain[-1].label if chain else "--set"
        raise CapnuocInputError(out, f"{len(set(out))} problem(s) in scenario {where}")
    top = chain[-1].data if chain else {"name": "defaults", "description": "The default assumptions, no scenario."}
    return Scenario(str(top["name"]).strip(), str(top["description"]).strip(),
                    (Path(defaults_path).resolve(),) + tuple(d.path for d in chain), tuple(sets), current)


# ---------------------------------------------------------------------------- sampling


def sample(a: Assumption, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of one assumption (vectorised); a fixed assumption gives n copies of its value."""
    d = a.distribution
    if d is None:
        return np.full(n, a.value)
    if isinstance(d, Triangular):
        x = rng.triangular(d.low, d.mode, d.high, n)
    elif isinstance(d, Uniform):
        x = rng.uniform(d.low, d.high, n)
    elif isinstance(d, Normal):
        lo, hi = support(d)
        x = stats.truncnorm.rvs((lo - d.mean) / d.sd, (hi - d.mean) / d.sd, loc=d.mean, scale=d.sd,
                                size=n, random_state=rng)
    else:
        x = d.low + (d.high - d.low) * rng.beta(d.alpha, d.beta, n)
    return np.clip(np.asarray(x, dtype=float), *support(d))  # truncnorm far in a tail can miss by ~1e-9


def sample_all(scenario: Scenario, n: int, seed: int) -> dict[str, np.ndarray]:
    """Draws of every uncertain assumption, in sorted path order from one generator (deterministic)."""
    rng = np.random.default_rng(seed)
    return {p: sample(scenario.get(p), n, rng) for p in scenario.uncertain_paths()}
