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

Physical limits (:mod:`capnuoc_model.model.limits`)
    Whatever ``min`` and ``max`` say, no value, ``min``, ``max`` or distribution may leave the
    model's physical domain: shares in [0, 1], coverage ≤ 100 %, people, months, volumes,
    capacities and costs ≥ 0, loss rates < 100 %. The defaults file, scenario files and ``--set``
    are all checked; a breach is a located message naming the limit.

Scenario file (``analysis/scenarios/*.yaml``)
    ``name`` and ``description`` (required), ``extends`` (optional: another scenario file,
    relative to this one; chains allowed, cycles are errors) and ``overrides``: a mapping that
    mirrors the defaults tree and holds only what differs. At a leaf, a scalar sets the value;
    a mapping may hold ``value``, ``distribution`` (a whole one, or null = fixed), ``min``,
    ``max``, ``description``, ``reference``.

A new value moves its distribution (scenario files and ``--set`` alike)
    When an override sets ``value`` but not ``distribution``, the distribution is shifted so that
    its centre is the new value — the mode of a triangular, the mean of a normal, the midpoint of a
    uniform, the mean of a beta — keeping its width, and then cut at the leaf's [min, max] and
    physical limits (:func:`move_distribution`). Setting ``distribution`` too (or null) overrides
    the rule. ``Scenario.changes`` lists every changed assumption and what happened to its
    distribution; ``capnuoc check`` and ``capnuoc project`` print that list.

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

from capnuoc_model.data import fmt, yaml_reading
from capnuoc_model.data.errors import CapnuocInputError, Violation
from capnuoc_model.data.messages import unit_vi
from capnuoc_model.data.messages import pair as _pair
from capnuoc_model.data.messages import text as _t
from capnuoc_model.model.limits import physical_limit

DEFAULTS_FILE = Path(__file__).resolve().parents[2] / "analysis" / "assumptions" / "defaults.yaml"
YAML_EXPECTED = _t("scenario.yaml_expected")
MAX_DEPTH = 50  # a scenario or assumptions tree is a few levels deep; far deeper is a mistake (and would exhaust the stack)
OVERRIDE_FIELDS = ("value", "distribution", "min", "max", "description", "reference")
LEAF_MARKERS = {"value", "unit", "description", "reference", "min", "max", "choices"}
NAME = re.compile(r"[A-Za-z0-9_]+")
DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")  # 0,8: a number as Vietnamese write it, which YAML reads as text
EXPONENT_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+")  # PyYAML reads 1e-3 as text
Loc = tuple[Union[str, int], ...]
Problem = tuple[Loc, str, str]  # (location inside the mapping validated, problem, expected)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
DIST_HELP = _t("scenario.help.distribution")
LEAF_HELP = {key: _t(f"scenario.help.{key}") for key in
             ("value", "unit", "description", "reference", "min", "max", "choices", "distribution")}
HEADER_HELP = {key: _t(f"scenario.help.header_{key}") for key in ("name", "description", "extends", "overrides")}


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
        raise PydanticCustomError("single_value", _t("scenario.not_single_value_given", given=_show(v)).replace("{", "(").replace("}", ")"))


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
        return _t("scenario.show_null")
    if isinstance(v, (dict, list)):
        return _t("scenario.show_mapping") if isinstance(v, dict) else _t("scenario.show_list")
    return f"'{v}'"


def _dot(parts: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in parts)


def _one_of(valid: Sequence[str], given: str, group: str = "") -> str:
    """'one of: a, b[ under 'group']; did you mean 'group.b'?' (the closest by difflib)."""
    close = difflib.get_close_matches(given, list(valid), n=1)
    prefix = f"{group}." if group else ""
    hint = _t("hint.did_you_mean", value=f"{prefix}{close[0]}") if close else ""
    return _t("scenario.one_of", values=", ".join(valid), group=_t("scenario.under_group", group=group) if group else "") + hint


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
        return _t("scenario.form_bool")
    if kind == "text":
        return _t("scenario.one_of", values=", ".join(a.choices), group="") if a.choices else _t("scenario.form_text")
    lo, hi = a.min, a.max
    bounds = (_t("scenario.bounds_between", low=_num(lo), high=_num(hi)) if lo is not None and hi is not None else
              _t("scenario.bounds_min", low=_num(lo)) if lo is not None else
              _t("scenario.bounds_max", high=_num(hi)) if hi is not None else "")
    return _t("scenario.form_number", bounds=bounds) + (f" ({unit_vi(a.unit)})" if a.unit != "-" else "")


DISTRIBUTION_WORDS = {  # templates of describe_distribution: machine tables (English) and people (Vietnamese)
    "en": {"fixed": "fixed", "triangular": "triangular({low}, {mode}, {high})", "uniform": "uniform({low}, {high})",
           "normal": "normal(mean {mean}, sd {sd})", "beta": "beta({alpha}, {beta})", "on": " on [{lo}, {hi}]"},
    "vi": {"fixed": "cố định", "triangular": "tam giác ({low}; {mode}; {high})", "uniform": "đều ({low}; {high})",
           "normal": "chuẩn (trung bình {mean}, độ lệch chuẩn {sd})", "beta": "beta ({alpha}; {beta})",
           "on": " trên [{lo}; {hi}]"},
    "document": {"fixed": "cố định", "triangular": "tam giác (thấp {low}; thường gặp {mode}; cao {high})",
                 "uniform": "đều (từ {low} đến {high})", "normal": "chuẩn (trung bình {mean}; độ lệch chuẩn {sd})",
                 "beta": "bê-ta ({alpha}; {beta})", "on": " trên khoảng {lo} đến {hi}"},
}


def describe_distribution(a: Assumption | Triangular | Uniform | Normal | Beta | None, language: str = "en") -> str:
    """Short text of the uncertainty: 'fixed', 'triangular(6, 9, 12)', 'normal(mean 3, sd 2) on [0, 12]';
    with language 'vi': 'cố định', 'tam giác (6; 9; 12)', 'chuẩn (trung bình 3, độ lệch chuẩn 2) trên [0; 12]';
    with language 'document' (tables a reader reads): 'tam giác (thấp 6; thường gặp 9; cao 12)'."""
    d = a.distribution if isinstance(a, Assumption) else a
    words = DISTRIBUTION_WORDS[language]
    num = {"en": _num, "vi": _vi}.get(language, lambda v: fmt.vn(v, 3, trim=True))
    if d is None:
        return words["fixed"]
    text = words[d.kind].format(**{k: num(v) for k, v in d.model_dump(exclude={"kind"}).items() if v is not None})
    lo, hi = support(d)
    if isinstance(d, (Normal, Beta)) and (lo, hi) != (-math.inf, math.inf):
        text += words["on"].format(lo=num(lo), hi=num(hi))
    return text


# ---------------------------------------------------------------------------- validation of one leaf


def _check(a: Assumption, kind: str, path: str = "") -> list[Problem]:
    """Rules pydantic cannot express: type fixed by the defaults, range, choices, support, physical limits."""
    v, form = a.value, expected_form(a, kind)
    if _kind(v) != kind:
        if kind == "number" and isinstance(v, str) and DECIMAL_COMMA.fullmatch(v.strip()):
            return [(("value",), _t("scenario.decimal_comma", given=v.strip()),
                     _t("scenario.decimal_comma_expected", example=v.strip().replace(",", "."), form=form))]
        return [(("value",), _t(f"scenario.not_{kind}", given=_show(v)), form)]
    misplaced = {"number": ("choices",), "text": ("min", "max", "distribution"),
                 "bool": ("min", "max", "distribution", "choices")}[kind]
    out: list[Problem] = [((f,), *_pair("scenario.misplaced_field", field=f, kind=_t(f"scenario.kind_{kind}")))
                          for f in misplaced if getattr(a, f) is not None]
    if kind == "text" and a.choices and v not in a.choices:
        out.append((("value",), _t("scenario.not_a_choice", given=_show(v)), form))
    if kind != "number" or out:
        return out
    if a.min is not None and a.max is not None and a.min > a.max:
        return [(("min",), *_pair("scenario.min_above_max", min=_num(a.min), max=_num(a.max)))]
    limit = physical_limit(path, a.unit)  # the model's own domain: no min, max, value or draw may pass it
    physical = "" if limit is None else f"một số {limit.describe()}"
    if limit is not None:
        out += [((name,), f"{name} {_num(bound)} vượt giới hạn vật lý: {limit.what}", physical)
                for name, bound in (("min", a.min), ("max", a.max)) if bound is not None and not limit.contains(bound)]
    if (a.min is not None and v < a.min) or (a.max is not None and v > a.max):
        out.append((("value",), _t("scenario.out_of_range", given=_show(v)), form))
    elif limit is not None and not limit.contains(v):
        out.append((("value",), f"{_show(v)} vượt giới hạn vật lý: {limit.what}", physical))
    d = a.distribution
    if d is None:
        return out
    lo, hi = support(d)
    if isinstance(d, Triangular) and not d.low <= d.mode <= d.high:
        return out + [(("distribution", "mode"), *_pair("scenario.mode_outside", mode=_num(d.mode), low=_num(lo), high=_num(hi)))]
    if lo >= hi:
        return out + [(("distribution", "high"), *_pair("scenario.high_not_above_low", high=_num(hi), low=_num(lo)))]
    limits = f"[{_num(-math.inf if a.min is None else a.min)}, {_num(math.inf if a.max is None else a.max)}]"
    for end, name, bound, reach in (("low", "min", a.min, lo), ("high", "max", a.max, hi)):
        if bound is not None and (reach < bound if end == "low" else reach > bound):
            out.append((("distribution", end), *_pair("scenario.distribution_beyond", reach=_num(reach), name=name,
                                                      bound=_num(bound), limits=limits)))
        elif limit is not None and not limit.contains(reach):
            out.append((("distribution", end), f"phân phối chạm tới {_num(reach)}, vượt giới hạn vật lý: {limit.what}",
                        f"một phân phối có mọi giá trị {limit.describe()}"))
    if not lo <= v <= hi and not out:  # one message for a value out of range
        out.append((("value",), *_pair("scenario.value_outside_distribution", given=_show(v), distribution=describe_distribution(d, "vi"),
                                       low=_num(lo), high=_num(hi))))
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
        help_text = help_.get(key, _t("scenario.form_number", bounds="") if level is not model else _t("scenario.valid_value"))
        if typ == "missing":
            out.append((loc, _t("scenario.missing_key", key=key), help_text))
        elif typ == "extra_forbidden":
            out.append((loc, _t("scenario.unknown_key", key=key), _one_of(list(level.model_fields), key)))
        elif typ in ("union_tag_invalid", "union_tag_not_found"):
            tag = e.get("ctx", {}).get("tag")
            out.append((loc, _t("scenario.unknown_kind", kind=_show(tag)) if tag else _t("scenario.no_kind"),
                        _t("scenario.kind_expected", kinds=", ".join(KINDS))))
        elif typ in ("model_type", "model_attributes_type", "dict_type"):
            out.append((loc, _t("scenario.not_mapping", given=_show(given)), help_text))
        elif typ in ("float_type", "float_parsing", "finite_number", "int_type"):
            if isinstance(given, str) and DECIMAL_COMMA.fullmatch(given.strip()):
                out.append((loc, _t("scenario.decimal_comma", given=given.strip()),
                            _t("scenario.decimal_comma_expected", example=given.strip().replace(",", "."),
                               form=_t("scenario.form_number", bounds=""))))
                continue
            out.append((loc, _t("scenario.not_finite" if typ == "finite_number" else "scenario.not_number", given=_show(given)),
                        _t("scenario.form_number", bounds="")))
        elif typ == "greater_than":
            out.append((loc, *_pair("scenario.not_above", given=_show(given), limit=_num(e["ctx"]["gt"]))))
        elif typ in ("string_type", "string_too_short"):
            out.append((loc, _t("scenario.empty_key", key=key) if typ == "string_too_short" else _t("scenario.not_text", given=_show(given)),
                        help_text))
        elif typ in ("tuple_type", "list_type"):
            out.append((loc, _t("scenario.not_list", given=_show(given)), help_text))
        elif typ == "single_value":
            out.append((loc, _t("scenario.not_single_value_given", given=_show(given)), help_text))
        else:
            out.append((loc, _t("scenario.invalid_value", given=_show(given)), help_text))
    return out


def _validate(raw: Mapping[str, Any], kind: str | None = None, path: str = "") -> tuple[Assumption | None, list[Problem]]:
    try:
        a = Assumption.model_validate(raw)
    except ValidationError as exc:
        return None, _from_pydantic(exc, Assumption, LEAF_HELP)
    problems = _check(a, kind or _kind(a.value), path)
    return (None if problems else a), problems


def _override(base: Assumption, change: Mapping[str, Any], path: str = "") -> tuple[Assumption | None, list[Problem]]:
    """The leaf with some fields replaced, validated against the kind of the original value.

    A change of ``value`` without ``distribution`` moves the distribution with it (:func:`move_distribution`).
    """
    merged = {**base.model_dump(exclude_none=True), **change}
    value = change.get("value")
    if "value" in change and "distribution" not in change and base.distribution is not None \
            and _kind(value) == "number" and math.isfinite(value):
        lower, upper = _bounds(path, base.unit, merged.get("min"), merged.get("max"))
        if isinstance(lower, (int, float)) and isinstance(upper, (int, float)) and lower <= value <= upper:
            moved = move_distribution(base.distribution, float(value), lower, upper)
            merged["distribution"] = None if moved is None else moved.model_dump(exclude_none=True)
    new, problems = _validate(merged, _kind(base.value), path)
    form = expected_form(base)  # a bad value is explained with the leaf's own rule
    return new, [(loc, p, form if loc == ("value",) and e == LEAF_HELP["value"] else e) for loc, p, e in problems]


# ---------------------------------------------------------------------------- a value moves its distribution


def _bounds(path: str, unit: str, low: Any, high: Any) -> tuple[Any, Any]:
    """The leaf's [min, max] narrowed to its physical limit (unbounded ends are ±∞)."""
    limit = physical_limit(path, unit)
    low = -math.inf if low is None else low
    high = math.inf if high is None else high
    if limit is not None and isinstance(low, (int, float)) and isinstance(high, (int, float)):
        low, high = max(low, limit.low), min(high, limit.high)
    return low, high


def centre(d: Triangular | Uniform | Normal | Beta) -> float:
    """The point a new value moves the distribution to: the mode of a triangular, the mean of a normal
    (its mode too), the midpoint of a uniform, the mean of a beta."""
    if isinstance(d, Triangular):
        return d.mode
    if isinstance(d, Normal):
        return d.mean
    if isinstance(d, Uniform):
        return (d.low + d.high) / 2
    return d.low + (d.high - d.low) * d.alpha / (d.alpha + d.beta)


def move_distribution(d: Triangular | Uniform | Normal | Beta, value: float, lower: float = -math.inf,
                      upper: float = math.inf) -> Triangular | Uniform | Normal | Beta | None:
    """The distribution shifted so that its :func:`centre` is ``value``, same width, cut at [lower, upper].

    Ends beyond a limit are moved to it (a triangular keeps its mode at the value, a normal its mean;
    a beta keeps its concentration α + β and takes the mean ``value`` on its cut support). None when
    nothing of the width is left (the value sits on a limit the whole distribution lay beyond): the
    assumption becomes fixed.
    """
    shift = value - centre(d)
    low = min(max(support(d)[0] + shift, lower), value)  # min/max: rounding of the shift never leaves out the value
    high = max(min(support(d)[1] + shift, upper), value)
    if not low < high:
        return None
    if isinstance(d, Triangular):
        return Triangular(kind="triangular", low=low, mode=value, high=high)
    if isinstance(d, Uniform):
        return Uniform(kind="uniform", low=low, high=high)
    if isinstance(d, Normal):
        return Normal(kind="normal", mean=value, sd=d.sd, low=None if math.isinf(low) else low,
                      high=None if math.isinf(high) else high)
    share = (value - low) / (high - low)
    if not 0 < share < 1:
        return None
    concentration = d.alpha + d.beta
    return Beta(kind="beta", alpha=share * concentration, beta=(1 - share) * concentration, low=low, high=high)


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
    if len(loc) > MAX_DEPTH:
        out.append(Violation(doc.label, node.start_mark.line + 1, None, *_pair("scenario.too_deep", depth=MAX_DEPTH)))
        doc.ok = False
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(loader.construct_object(key_node, True))
            here = loc + (key,)
            if key in result:
                out.append(Violation(doc.label, key_node.start_mark.line + 1, doc.column(here),
                                     *_pair("scenario.key_twice", key=key)))
            doc.lines.setdefault(here, key_node.start_mark.line + 1)
            result[key] = _build(value_node, here, loader, doc, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[loc + (i,)] = item.start_mark.line + 1
        return [_build(item, loc + (i,), loader, doc, out) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:str" and not node.style and EXPONENT_NUMBER.fullmatch(node.value):  # plain: None or ''
        return float(node.value)
    return loader.construct_object(node, True)


def _parse(text: str, doc: _Doc) -> list[Violation]:
    """Fill doc.data and doc.lines from YAML text; syntax errors as violations with line and column."""
    out: list[Violation] = []
    loader = None
    try:
        # its errors are PyYAML's, in the words _yaml_problem knows; the reader rejects control characters
        loader, node = yaml_reading.compose(text)
        doc.data = None if node is None else _build(node, (), loader, doc, out)
    except RecursionError:  # nested far deeper than any scenario: the YAML composer runs out of stack
        doc.ok, doc.data = False, None
        return [Violation(doc.label, None, None, *_pair("scenario.too_deep", depth=MAX_DEPTH))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        doc.ok, doc.data = False, None
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: locate it from its position
            before = text[: exc.position]
            line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
            return [Violation(doc.label, line, _t("io.column_number", number=column),
                              _t("scenario.bad_character", character=f"U+{exc.character:04X}"), YAML_EXPECTED)]
        return [Violation(doc.label, mark.line + 1 if mark else None, _t("io.column_number", number=mark.column + 1) if mark else None,
                          _t("scenario.yaml_syntax", problem=_yaml_problem(problem)), YAML_EXPECTED)]
    finally:
        if loader is not None:
            loader.dispose()
    return out


def _yaml_problem(problem: str) -> str:
    """PyYAML's description of a syntax error in words a reader of the catalogue knows (else a general one)."""
    from capnuoc_model.data.messages import catalogue

    for fragment, words in catalogue()["yaml_problems"].items():
        if fragment in str(problem):
            return words
    return _t("scenario.yaml_problem_other")


def _read(path: Path, strip: Loc = ()) -> tuple[_Doc, list[Violation]]:
    doc = _Doc(path, _display(path), strip)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc.ok = False
        from capnuoc_model.data.io import os_reason

        problem = os_reason(exc) if isinstance(exc, OSError) else _t("scenario.not_utf8")
        return doc, [Violation(doc.label, None, None, *_pair("scenario.cannot_read", problem=problem))]
    return doc, _parse(text, doc)


# ---------------------------------------------------------------------------- trees and scenarios


class _Lookup:
    assumptions: Mapping[str, Assumption]

    def get(self, path: str) -> Assumption:
        try:
            return self.assumptions[path]
        except KeyError:
            close = difflib.get_close_matches(path, list(self.assumptions), n=1)
            raise KeyError(_t("scenario.unknown_assumption", path=path) + (_t("hint.did_you_mean", value=close[0]) if close else "")) from None

    def value(self, path: str) -> bool | int | float | str:
        """The deterministic (central) value."""
        return self.get(path).value

    def paths(self, prefix: str = "") -> list[str]:
        """Sorted leaf paths equal to or under the dotted prefix."""
        found = sorted(p for p in self.assumptions if not prefix or p == prefix or p.startswith(prefix + "."))
        if not found:
            raise KeyError(_t("scenario.nothing_under", prefix=prefix))
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
    lines: Mapping[str, int] = field(default_factory=dict)  # dotted path -> line in the file (for messages)


@dataclass(frozen=True)
class Change:
    """One assumption a scenario file or ``--set`` changed: the default leaf, the effective one, and
    whether its distribution was moved with the value (the rule of :func:`move_distribution`) or set."""

    path: str
    sources: tuple[str, ...]  # where it was changed: 'analysis/scenarios/x.yaml:12', '--set:1'
    before: Assumption  # as in the defaults file
    after: Assumption
    distribution_set: bool  # the distribution (or null) was given explicitly

    @property
    def how(self) -> str:
        """What happened to the distribution: 'unchanged', 'moved' (with the value), 'fixed' (set to null) or 'set'."""
        if self.after.distribution == self.before.distribution:
            return "unchanged"
        if self.after.distribution is None:
            return "fixed"
        return "set" if self.distribution_set else "moved"

    def to_record(self) -> dict[str, Any]:
        return {"path": self.path, "sources": "; ".join(self.sources),
                "value_default": self.before.value, "value": self.after.value,
                "distribution_default": describe_distribution(self.before),
                "distribution": describe_distribution(self.after), "distribution_change": self.how}

    def sentence(self) -> str:
        """'uptake.final_share: 0,9 → 0,8; phân phối dịch theo giá trị mới: tam giác (0,7; 0,9; 1) → tam giác (0,6; 0,8; 0,9)'."""
        text = f"{self.path}: {_vi(self.before.value)} → {_vi(self.after.value)}"
        if self.how == "unchanged":
            return text + ("" if self.before.distribution is None else
                           f"; phân phối không đổi: {describe_distribution(self.after, 'vi')}")
        return (text + f"; phân phối {CHANGE_VI[self.how]}: {describe_distribution(self.before, 'vi')} → "
                f"{describe_distribution(self.after, 'vi')}")


CHANGE_VI = {"moved": "dịch theo giá trị mới", "fixed": "bỏ (giả định cố định)", "set": "đặt lại trong kịch bản"}


def _vi(v: Any) -> str:
    """A value in Vietnamese number format (up to 6 decimals, trimmed)."""
    if isinstance(v, float) and math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if isinstance(v, bool):
        return "có" if v else "không"
    return fmt.vn(v, 6, trim=True) if isinstance(v, (int, float)) else str(v)


@dataclass(frozen=True)
class Scenario(_Lookup):
    name: str
    description: str
    files: tuple[Path, ...]
    sets: tuple[str, ...]
    assumptions: Mapping[str, Assumption]
    changes: tuple[Change, ...] = ()  # every assumption that differs from the defaults, in path order

    @property
    def label(self) -> str:
        """The name, with the ``--set`` overrides when there are any: the 'scenario' column of every table."""
        return self.name if not self.sets else f"{self.name} (--set {'; '.join(self.sets)})"

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
                 "reference": a.reference, "distribution": describe_distribution(a, "vi")}
                for p, a in sorted(self.assumptions.items())]

    def with_value(self, path: str, value: Any) -> Scenario:
        """A copy with one value changed (validated; recorded in ``sets``), e.g. for sensitivity runs."""
        value = value.item() if isinstance(value, np.generic) else value
        new, problems = _override(self.get(path), {"value": value}, path)
        if new is None:
            raise CapnuocInputError([Violation("with_value", None, _dot((path,) + loc), p, e) for loc, p, e in problems])
        setting = f"{path}={json.dumps(value, ensure_ascii=False)}"
        before = next((c.before for c in self.changes if c.path == path), self.get(path))
        change = Change(path, (f"with_value:{len(self.sets) + 1}",), before, new, False)
        changes = tuple(sorted([c for c in self.changes if c.path != path] + [change], key=lambda c: c.path))
        return replace(self, assumptions={**self.assumptions, path: new}, sets=self.sets + (setting,), changes=changes)


def _walk_defaults(doc: _Doc, data: Any, loc: Loc, leaves: dict[str, Assumption], out: list[Violation]) -> None:
    if not isinstance(data, dict) or not data:
        out.append(doc.at(loc, *_pair("scenario.not_a_group", given=_show(data))))
        return
    for key, sub in data.items():
        here = loc + (key,)
        if not NAME.fullmatch(key):
            out.append(doc.at(here, *_pair("scenario.bad_name", key=key)))
        elif isinstance(sub, dict) and ("value" in sub or any(k in LEAF_MARKERS and not isinstance(v, dict)
                                                              for k, v in sub.items())):
            leaf, problems = _validate(sub, path=_dot(here))
            out.extend(doc.at(here + p[0], p[1], p[2]) for p in problems)
            if leaf is not None:
                leaves[_dot(here)] = leaf
        else:
            _walk_defaults(doc, sub, here, leaves, out)


_DEFAULTS: dict[tuple[Path, str], AssumptionTree] = {}  # (file, hash of its bytes) -> its tree


def load_defaults(path: Path | str = DEFAULTS_FILE) -> AssumptionTree:
    """The validated defaults tree; every problem of the file in one CapnuocInputError.

    A valid file is parsed once per content (a command reads it for the scenario, its checks and the setup); the
    tree is immutable, so every caller may share it.
    """
    try:
        key = (Path(path).resolve(), hashlib.sha256(Path(path).read_bytes()).hexdigest())
    except OSError:
        key = None  # unreadable: _read says why
    if key in _DEFAULTS:
        return _DEFAULTS[key]
    doc, out = _read(Path(path))
    leaves: dict[str, Assumption] = {}
    if doc.ok:
        _walk_defaults(doc, doc.data, (), leaves, out)
    if out:
        raise CapnuocInputError(out, _t("summary.assumptions", count=len(set(out)), file=doc.label))
    tree = AssumptionTree(Path(path).resolve(), leaves, {_dot(loc): line for loc, line in doc.lines.items() if loc})
    if key is not None:
        _DEFAULTS[key] = tree
    return tree


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
            out.append(doc.at(("extends",), *_pair("scenario.extends_cycle", names=names)))
            return chain[::-1]
        if not path.is_file():
            out.append(doc.at(("extends",), _t("scenario.extends_not_found", file=_display(path)), HEADER_HELP["extends"]))
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
                out.append(doc.at(where + (key,), _t("scenario.unknown_key", key=key), _one_of(OVERRIDE_FIELDS, key)))
        return [(path, {k: v for k, v in data.items() if k in OVERRIDE_FIELDS})]
    children = tree.children(loc)
    if not isinstance(data, dict):
        out.append(doc.at(where, *_pair("scenario.value_for_group", given=_show(data), group=path or "overrides",
                                        children=", ".join(children))))
        return []
    found: list[tuple[str, dict]] = []
    for key, sub in data.items():
        if key in children:
            found += _collect(sub, loc + (key,), tree, doc, out)
        else:
            out.append(doc.at(where + (key,), _t("scenario.unknown_key", key=key), _one_of(children, key)))
    return found


def _parse_set(number: int, arg: str, tree: AssumptionTree, current: Mapping[str, Assumption],
               out: list[Violation]) -> tuple[str, dict] | None:
    """One --set argument as (leaf path, changed fields), or None after recording its problem."""
    key, equals, text = (s.strip() for s in arg.partition("="))
    if not equals or not key:
        problem = _t("set.no_equals" if not equals else "set.no_path", arg=arg)
        out.append(Violation("--set", number, None, problem, _t("set.expected_form")))
        return None
    doc = _Doc(Path("--set"), "--set")
    if _parse(text, doc):
        out.append(Violation("--set", number, key, *_pair("set.unreadable", text=text)))
        return None
    parts = key.split(".")
    depth = next((k for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in current), 0)
    if depth == 0 and tree.children(tuple(parts)):
        out.append(Violation("--set", number, key, _t("set.group", key=key),
                             _t("scenario.one_of", values=", ".join(tree.paths(key)), group="")))
        return None
    if depth == 0:
        d = max(k for k in range(len(parts)) if tree.children(tuple(parts[:k])))
        out.append(Violation("--set", number, key, _t("scenario.unknown_assumption", path=key),
                             _one_of(tree.children(tuple(parts[:d])), parts[d], _dot(parts[:d]))))
        return None
    leaf, rest, a = ".".join(parts[:depth]), parts[depth:], current[".".join(parts[:depth])]
    if not rest or (len(rest) == 1 and rest[0] in OVERRIDE_FIELDS):
        return leaf, {rest[0] if rest else "value": doc.data}
    if len(rest) == 2 and rest[0] == "distribution":
        if a.distribution is None:
            out.append(Violation("--set", number, key, *_pair("set.no_distribution", leaf=leaf)))
            return None
        params = [f for f in type(a.distribution).model_fields if f != "kind"]
        if rest[1] in params:
            return leaf, {"distribution": {**a.distribution.model_dump(exclude_none=True), rest[1]: doc.data}}
        out.append(Violation("--set", number, key, _t("scenario.unknown_key", key=rest[1]), _one_of(params, rest[1])))
        return None
    out.append(Violation("--set", number, key, _t("scenario.unknown_key", key=_dot(rest)), _one_of(OVERRIDE_FIELDS, _dot(rest))))
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
    sources: dict[str, list[str]] = {}
    distribution_set: dict[str, bool] = {}

    def apply(leaf: str, change: Mapping[str, Any], source: str) -> list[Problem]:
        new, problems = _override(current[leaf], change, leaf)
        if new is not None:
            current[leaf] = new
            sources.setdefault(leaf, []).append(source)
            distribution_set[leaf] = "distribution" in change or distribution_set.get(leaf, False)
        return problems

    chain = _read_chain(Path(path).resolve(), out) if path is not None else []
    for doc in (d for d in chain if d.ok):
        data = doc.data if doc.data is not None else {}  # an empty file: missing name and description
        if not isinstance(data, dict):
            out.append(doc.at((), *_pair("scenario.not_a_scenario", given=_show(data))))
            continue
        try:
            _Header.model_validate(data)
        except ValidationError as exc:
            out.extend(doc.at(loc, p, e) for loc, p, e in _from_pydantic(exc, _Header, HEADER_HELP))
        if isinstance(data.get("overrides"), dict):
            for leaf, change in _collect(data["overrides"], (), tree, doc, out):
                where = ("overrides", *leaf.split("."))
                problems = apply(leaf, change, f"{doc.label}:{doc.line(where)}")
                out.extend(doc.at(where + loc, p, e) for loc, p, e in problems)
    for number, arg in enumerate(sets, start=1):
        parsed = _parse_set(number, arg, tree, current, out)
        if parsed:
            problems = apply(parsed[0], parsed[1], f"--set:{number}")
            out.extend(Violation("--set", number, _dot((parsed[0],) + loc), p, e) for loc, p, e in problems)
    if out:
        where = chain[-1].label if chain else "--set"
        raise CapnuocInputError(out, _t("summary.scenario", count=len(set(out)), file=where))
    top = chain[-1].data if chain else {"name": "defaults", "description": _t("scenario.defaults_description")}
    changes = tuple(Change(leaf, tuple(sources[leaf]), tree.get(leaf), current[leaf], distribution_set[leaf])
                    for leaf in sorted(sources) if current[leaf] != tree.get(leaf))
    return Scenario(str(top["name"]).strip(), str(top["description"]).strip(),
                    (Path(defaults_path).resolve(),) + tuple(d.path for d in chain), tuple(sets), current, changes)


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
        from scipy import stats  # here, not at the top: scipy.stats takes a second to import, and most runs never sample

        lo, hi = support(d)
        x = stats.truncnorm.rvs((lo - d.mean) / d.sd, (hi - d.mean) / d.sd, loc=d.mean, scale=d.sd,
                                size=n, random_state=rng)
    else:
        x = d.low + (d.high - d.low) * rng.beta(d.alpha, d.beta, n)
    return np.clip(np.asarray(x, dtype=float), *support(d))  # truncnorm far in a tail can miss by ~1e-9


def stream(seed: int, key: str) -> np.random.Generator:
    """The random generator of one assumption (or other source of draws, such as population growth).

    Its own stream, derived from the seed and a stable hash of ``key`` (the assumption's path) through
    numpy's SeedSequence: adding, removing or changing another assumption leaves these draws as they
    were, so scenario differences are differences of the assumptions alone (common random numbers).
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=words))


def sample_all(scenario: Scenario, n: int, seed: int) -> dict[str, np.ndarray]:
    """Draws of every uncertain assumption (sorted by path), each from its own :func:`stream`."""
    return {p: sample(scenario.get(p), n, stream(seed, p)) for p in scenario.uncertain_paths()}
