"""YAML loading that remembers where every value came from, so errors can name file:line:col."""

from __future__ import annotations

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


# libyaml's parser when PyYAML was built with it: the theater takes ~0.3 s to read with the
# pure-Python one, and every run, sweep and worker reads it. Same resolver, so the same data.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path) -> Located:
    """Read a YAML file; a missing or unreadable file, a syntax error or a value YAML cannot
    build (a date like 2020-01-45) becomes a located InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "", "no such file"))
    raw = path.read_bytes()
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
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        if _Loader is not yaml.SafeLoader:
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
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
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
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return exc
    return None
