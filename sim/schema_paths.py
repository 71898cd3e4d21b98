"""Pydantic errors as located problems: which model an error path ends in, so that a misspelt
field is matched against the fields of its own mapping (a reinforcement's `units`, not a
defection's `unit`), and the tags of a discriminated union (an event's or an observation's
`kind`), named with the close one."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel, RootModel, ValidationError

from sim.errors import InputError, Problem, did_you_mean
from sim.yamlsource import Located


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str] | None:
    """The field names of the model at the end of a pydantic error path `loc` (union tags
    included, as pydantic gives them), or None when the path does not end in a model."""
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel) and not issubclass(tp, RootModel):
        return set(tp.model_fields)
    return None


def expected_tags(ctx: dict[str, Any]) -> list[str]:
    """The tags a `union_tag_invalid` error's context lists."""
    return re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))


def union_tags(model: type[BaseModel], loc: tuple[Any, ...], name: str) -> list[str]:
    """The values of field `name` that tell apart the members of the union at `loc` (a
    `union_tag_not_found` error's context does not list them)."""
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
    tags = []
    for member in map(_strip, typing.get_args(_strip(tp))):
        field = getattr(member, "model_fields", {}).get(name)
        if field is not None and typing.get_origin(field.annotation) is typing.Literal:
            tags.extend(str(tag) for tag in typing.get_args(field.annotation))
    return tags


def discriminator(ctx: dict[str, Any]) -> str:
    """The discriminating field a union tag error names (`kind`)."""
    return str(ctx.get("discriminator", "kind")).strip("'")


def _strip(tp: Any) -> Any:
    """A type without its Annotated metadata."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _step(tp: Any, part: Any) -> Any:
    """The type one path part below `tp`, or None."""
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_step(typing.get_args(tp), part)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if part in tp.model_fields:
            return tp.model_fields[part].annotation
        if issubclass(tp, RootModel):
            return _step(tp.model_fields["root"].annotation, part)
        return None
    args = typing.get_args(tp)
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _union_step(members: tuple[Any, ...], part: Any) -> Any:
    """A union member: the one whose literal tag is `part` (pydantic puts a discriminated
    union's tag in the path), else the first member the part steps into."""
    for member in map(_strip, members):
        if isinstance(member, type) and issubclass(member, BaseModel):
            for field in member.model_fields.values():
                if typing.get_origin(field.annotation) is typing.Literal and typing.get_args(
                    field.annotation
                ) == (part,):
                    return member
    for member in members:
        stepped = _step(member, part)
        if stepped is not None:
            return stepped
    return None


def validate_located(model: type[BaseModel], src: Located, names: set[str]) -> Any:
    """Validate parsed YAML against a model; pydantic errors become located problems. A
    misspelt field is matched against the fields of its own mapping, else against `names`; a
    misspelt required field is one problem, not two; a misspelt or missing union tag (`kind`)
    names the close tag or lists them. Raises InputError, one problem per line."""
    try:
        return model.model_validate(src.data, strict=True)
    except ValidationError as exc:
        errors = exc.errors()
        problems = []
        explained: set[tuple] = set()  # required fields that a misspelt one stands for
        for err in errors:
            if err["type"] == "extra_forbidden":
                loc = _untagged(src.data, tuple(err["loc"]))
                own = fields_at(model, tuple(err["loc"])[:-1])
                choices = (own or names) - {str(loc[-1])}
                hint = did_you_mean(str(loc[-1]), choices)
                problems.append(src.problem(loc, f"unknown field{hint}", key=True))
                if hint:
                    explained.add((*loc[:-1], hint.split("'")[1]))
        for err in errors:
            loc = _untagged(src.data, tuple(err["loc"]))
            ctx = err.get("ctx", {})
            if err["type"] == "extra_forbidden" or loc in explained:
                continue
            if err["type"] == "missing":
                problems.append(src.problem(loc, "required field is missing", key=True))
            elif err["type"] == "union_tag_invalid":
                tag, choices = str(ctx.get("tag")), expected_tags(ctx)
                why = did_you_mean(tag, choices) or f" (one of {', '.join(choices)})"
                field = (*loc, discriminator(ctx))
                problems.append(src.problem(field, f"unknown {field[-1]} {tag!r}{why}"))
            elif err["type"] == "union_tag_not_found":
                name = discriminator(ctx)
                tags = union_tags(model, tuple(err["loc"]), name)
                problems.append(_missing_tag(src, loc, name, tags))
            else:
                # A validator's own message, without pydantic's "Value error, " before it.
                msg = err["msg"]
                if err["type"] == "value_error" and "error" in ctx:
                    msg = str(ctx["error"])
                problems.append(src.problem(loc, msg + _yaml11_hint(err.get("input"))))
        raise InputError(problems) from None


def _missing_tag(src: Located, loc: tuple, name: str, tags: list[str]) -> Problem:
    """A mapping of a tagged union without its tag: the misspelt key when one is close to it."""
    node = src.data
    for part in loc:
        node = node[part]
    misspelt = [key for key in node if did_you_mean(str(key), [name])]
    if misspelt:
        return src.problem((*loc, misspelt[0]), f"unknown field (did you mean {name!r}?)", key=True)
    why = f"required field is missing (one of {', '.join(tags)})"
    return src.problem((*loc, name), why, key=True)


def _untagged(data: Any, loc: tuple) -> tuple:
    """A pydantic error path without the union tags it inserts (`events.1.deployment.at` is
    `events.1.at` in the file): a part that is not a key but the mapping's `kind` is dropped."""
    out = []
    for part in loc:
        if isinstance(data, dict) and part not in data and data.get("kind") == part:
            continue
        out.append(part)
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            data = None
    return tuple(out)


_YAML11 = yaml.resolver.Resolver()


def _yaml11_hint(value: Any) -> str:
    """For text that YAML 1.1 would have read as a number or boolean (`1:30`, `yes`, `off`)."""
    if not isinstance(value, str):
        return ""
    tag = _YAML11.resolve(yaml.ScalarNode, value, (True, False)).rsplit(":", 1)[-1]
    if tag in ("int", "float"):
        return f" ({value!r} is text under YAML 1.2: write a plain decimal number)"
    if tag == "bool":
        return f" ({value!r} is text under YAML 1.2: write true or false)"
    return ""
