"""YAML loading that remembers where every value came from, so errors can name file:line:col."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError, Problem


class Located:
    """Parsed YAML data plus a map from value paths to (line, col), both 1-based."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None):
        self.path = path
        self.data = data
        self.root = root

    def where(self, loc: tuple[Any, ...]) -> tuple[int, int]:
        """Line and column of the deepest node reachable along `loc`; unknown parts are skipped."""
        node = self.root
        if node is None:
            return 1, 1
        for part in loc:
            child = _child(node, part)
            if child is not None:
                node = child
        return node.start_mark.line + 1, node.start_mark.column + 1

    def where_key(self, loc: tuple[Any, ...]) -> tuple[int, int]:
        """Line and column of the key that names the last part of `loc` (for unknown fields)."""
        parent = self.root
        for part in loc[:-1]:
            child = _child(parent, part) if parent is not None else None
            if child is not None:
                parent = child
        if isinstance(parent, yaml.MappingNode):
            for key, _ in reversed(parent.value):  # the last of equal keys is the one in force
                if key.value == str(loc[-1]):
                    return key.start_mark.line + 1, key.start_mark.column + 1
        return self.where(loc)

    def problem(self, loc: tuple[Any, ...], message: str, *, key: bool = False) -> Problem:
        line, col = self.where_key(loc) if key else self.where(loc)
        field = ".".join(str(p) for p in loc)
        return Problem(str(self.path), line, col, field, message)


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        # From the end: a repeated key's last value wins, and a `<<:` merge (which construction
        # flattens into this node) puts the mapping's own pairs after the merged ones.
        for key, value in reversed(node.value):
            if key.value == str(part):
                return value
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        return node.value[part]
    return None


# --- YAML 1.2 core schema -------------------------------------------------------------------
# PyYAML resolves plain scalars by YAML 1.1 rules: `1:30` is 90 (base 60), `yes`, `on` and `off`
# are booleans, `017` is octal 15, `1_000` is 1000. Here they are text, as YAML 1.2 reads them,
# so a misread number reaches validation as text and is refused where a number is expected.
# Timestamps keep YAML 1.1's form (`2020-01-09`): the project's files write dates so.


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema implicit types, plus timestamps and `<<` merge keys."""


def _implicit(tag: str, pattern: str, first: list[str]) -> None:
    _Resolver.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern, re.X), first)


_NUMERIC = list("-+0123456789")
_implicit("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF"))
_implicit("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", _NUMERIC)
_implicit(
    "float",
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    [*_NUMERIC, "."],
)
_implicit("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_implicit("merge", r"^(?:<<)$", ["<"])
for _first, _rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _rules:
        if _tag == "tag:yaml.org,2002:timestamp":
            _Resolver.add_implicit_resolver(_tag, _regexp, [_first])


class _Constructor(yaml.constructor.SafeConstructor):
    """Integers and floats by YAML 1.2: decimal, 0o octal, 0x hex; no base 60, no underscores."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = str(self.construct_scalar(node))
        if value.startswith(("0o", "0x")):
            return int(value[2:], 8 if value[1] == "o" else 16)
        return int(value, 10)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = str(self.construct_scalar(node)).lower()
        return float(value.replace(".inf", "inf").replace(".nan", "nan"))


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)


class _PyLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    _Resolver,
):
    """PyYAML's pure-Python parser with the YAML 1.2 resolver (for its clearer messages)."""

    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


try:
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Loader: type = _PyLoader
else:
    # libyaml's parser when PyYAML was built with it: the theater takes ~0.3 s to read with the
    # pure-Python one, and every run, sweep and worker reads it. Same resolver, so the same data.

    class _CLoader(CParser, _Constructor, _Resolver):
        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

    _Loader = _CLoader

# --- Writing -------------------------------------------------------------------------------
# PyYAML's dumpers quote a string only when YAML 1.1 would read it as something else, so
# `00000008`, `08`, `1e3`, `-.5` and `0o17` were written bare and came back through load_yaml
# as numbers (an imported UCDP GED id, `00000008`, failed the observations schema).


class YamlDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, resolving plain scalars as load_yaml reads them (YAML 1.2 core):
    a string is written bare only if YAML 1.2 and YAML 1.1 (PyYAML's `safe_load`, which other
    readers of these files use) both read it back as that string, else it is quoted. Numbers,
    booleans, nulls and dates are written bare, in forms both read alike. Subclass it to add
    representers."""

    def represent_scalar(self, tag: str, value: str, style: str | None = None) -> yaml.ScalarNode:
        # PyYAML writes NEL, LS and PS as line breaks outside double quotes, where a reader folds
        # them into a space or a newline; only double quotes keep them (as \N, \L, \P).
        if any(c in value for c in "\x85\u2028\u2029"):
            style = '"'
        return super().represent_scalar(tag, value, style)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        tag = _READ.resolve(kind, value, implicit)  # as load_yaml will read it
        if tag == "tag:yaml.org,2002:str":
            tag = super().resolve(kind, value, implicit)  # and as a YAML 1.1 reader will
        return tag


_READ = _Resolver()


def dump_yaml(data: Any, dumper: type[YamlDumper] = YamlDumper, **options: Any) -> str:
    """`data` as YAML text that load_yaml reads back as equal values of the same types (str, int,
    float, bool, None, date, datetime, lists and dicts of them). Block style, keys in their
    order, UTF-8 text as is, lines up to 100 characters; `options` as for `yaml.dump`. Raises
    yaml.representer.RepresenterError for a value of another type."""
    options = {"sort_keys": False, "allow_unicode": True, "width": 100, **options}
    return yaml.dump(data, Dumper=dumper, **options)


# A document whose aliases expand past this many values (and past ten times its own size) is
# refused: `a: &a [x,x,...]`, `b: &b [*a,*a,...]`, ... doubles per line what validation walks.
MAX_EXPANDED_VALUES = 100_000


def load_yaml(path: str | Path) -> Located:
    """Read a YAML file; a missing or unreadable file, a syntax error or a value YAML cannot
    build (a date like 2020-01-45) becomes a located InputError."""
    path = Path(path)
    if not path.is_file():
        why = "a folder, not a file" if path.is_dir() else "no such file"
        if path.exists() and not path.is_dir():
            why = "not a regular file"  # a FIFO or a device: reading it could block
        raise InputError(Problem(str(path), 1, 1, "", why))
    try:
        raw = path.read_bytes()
    except OSError as exc:  # no permission, an I/O error
        raise InputError(Problem(str(path), 1, 1, "", f"cannot read: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise InputError(Problem(str(path), line, col, "", "not UTF-8 text")) from None
    loader = _Loader(text)
    root = None
    try:
        # One parse gives both the nodes (for line:column) and the data built from them.
        root = loader.get_single_node()
        if root is not None:
            _check_nodes(path, root, tree="&" not in text)
        data = loader.construct_document(root) if root is not None else None
    except RecursionError:
        raise InputError(Problem(str(path), 1, 1, "", "nested too deeply")) from None
    except yaml.MarkedYAMLError as exc:
        if _Loader is not _PyLoader:
            exc = _python_error(text) or exc  # PyYAML's own messages name more (the alias, ...)
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise InputError(
            Problem(str(path), line, col, "", f"YAML syntax error: {exc.problem or exc}")
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character, say
        line, col = _line_col(text, exc.position)
        raise InputError(
            Problem(str(path), line, col, "", f"YAML syntax error: {exc.reason}")
        ) from None
    except (ValueError, TypeError) as exc:  # the constructor rejected a scalar's value
        node = _bad_scalar(root) if root is not None else None
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        what = f"{node.value!r}: " if node else ""
        raise InputError(Problem(str(path), line, col, "", f"bad value {what}{exc}")) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), 1, 1, "", "expected a mapping at the top level"))
    return Located(path, data, root)


def _line_col(text: str | bytes, index: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, index) + 1
    return line, index - (text.rfind(newline, 0, index) + 1) + 1


def _bad_scalar(root: yaml.Node) -> yaml.ScalarNode | None:
    """The first scalar, in file order, that YAML's constructor cannot build."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an aliased node is checked once, not once per alias
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                _Constructor().construct_object(node)
            except (ValueError, TypeError, yaml.YAMLError):
                return node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    return None


def _python_error(text: str) -> yaml.MarkedYAMLError | None:
    """The pure-Python parser's error for text libyaml rejected (only on the error path)."""
    try:
        yaml.compose(text, Loader=_PyLoader)
    except yaml.YAMLError as exc:
        return exc if isinstance(exc, yaml.MarkedYAMLError) else None
    return None


def _visit(path: Path, node: yaml.Node, loc: tuple, stack: list[tuple[Any, Any]]) -> None:
    """Check a mapping's keys for repeats, then push a node's keys, values and items with their
    locations, last first, so that they are popped in file order."""
    if isinstance(node, yaml.MappingNode):
        _check_keys(path, node, loc)
        for key, value in reversed(node.value):
            stack.append((value, (*loc, key.value if isinstance(key, yaml.ScalarNode) else "?")))
            stack.append((key, loc))
    elif isinstance(node, yaml.SequenceNode):
        stack.extend((child, (*loc, i)) for i, child in reversed(list(enumerate(node.value))))


def _check_nodes(path: Path, root: yaml.Node, tree: bool = False) -> None:
    """Refuse a repeated key, a value that contains itself, or aliases that expand past
    MAX_EXPANDED_VALUES, visiting each node once (aliases share nodes), so any document is
    answered in time linear in its size.

    `tree`: the text has no `&`, so no anchor, so no alias (one to an undefined anchor is a
    syntax error): no node is reached twice, nothing contains itself or expands, and only
    repeated keys are looked for, in the same order (a third of the time: every run reads the
    theater)."""
    stack: list[tuple[Any, Any]] = [(root, ())]
    if tree:
        while stack:
            node, loc = stack.pop()
            _visit(path, node, loc, stack)
        return
    size: dict[int, int] = {}  # id(node) -> values it stands for once aliases are expanded
    done: set[int] = set()
    locs: dict[int, tuple] = {}
    nodes: dict[int, yaml.Node] = {}
    exit_ = object()
    while stack:
        node, loc = stack.pop()
        if node is exit_:
            children = _children(loc)
            size[id(loc)] = 1 + sum(size[id(c)] for c in children)
            done.add(id(loc))
            continue
        if id(node) in done:
            continue
        if id(node) in locs:  # reached again before it was finished: it is its own ancestor
            raise InputError(_at(path, node, locs[id(node)], "a value contains itself (alias)"))
        locs[id(node)], nodes[id(node)] = loc, node
        stack.append((exit_, node))
        _visit(path, node, loc, stack)
    limit = max(MAX_EXPANDED_VALUES, 10 * len(size))
    if size[id(root)] > limit:
        # The first value, in file order, too big although none of its parts is.
        worst = min(
            (
                n
                for i, n in nodes.items()
                if size[i] > limit and all(size[id(c)] <= limit for c in _children(n))
            ),
            key=lambda n: (n.start_mark.line, n.start_mark.column),
        )
        raise InputError(
            _at(
                path,
                worst,
                locs[id(worst)],
                f"aliases expand this value to {size[id(worst)]:,} values, more than {limit:,}",
            )
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_keys(path: Path, node: yaml.MappingNode, loc: tuple) -> None:
    """A key given twice in one mapping (`<<:` merges may be overridden, not repeated)."""
    first: dict[Any, yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        try:
            ident = (key.tag, _Constructor().construct_object(key))
        except (ValueError, TypeError, yaml.YAMLError):
            ident = (key.tag, key.value)
        if ident in first:
            earlier = first[ident].start_mark
            raise InputError(
                _at(
                    path,
                    key,
                    (*loc, key.value),
                    f"repeated key {key.value!r} (first given at line {earlier.line + 1}, "
                    f"column {earlier.column + 1}); the later value would silently win",
                )
            )
        first[ident] = key


def _at(path: Path, node: yaml.Node, loc: tuple, message: str) -> Problem:
    field = ".".join(str(p) for p in loc)
    return Problem(str(path), node.start_mark.line + 1, node.start_mark.column + 1, field, message)
