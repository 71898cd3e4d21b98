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
            for key, _ in parent.value:
                if key.value == str(loc[-1]):
                    return key.start_mark.line + 1, key.start_mark.column + 1
        return self.where(loc)

    def problem(self, loc: tuple[Any, ...], message: str, *, key: bool = False) -> Problem:
        line, col = self.where_key(loc) if key else self.where(loc)
        field = ".".join(str(p) for p in loc)
        return Problem(str(self.path), line, col, field, message)


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
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
    """Read a YAML file; a missing file or a syntax error becomes a located InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "", "no such file"))
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        # One parse gives both the nodes (for line:column) and the data built from them.
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise InputError(
            Problem(str(path), line, col, "", f"YAML syntax error: {exc.problem or exc}")
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), 1, 1, "", "expected a mapping at the top level"))
    return Located(path, data, root)
