"""Reading a config file users edit: the one YAML reader and loader of every such file
(``config/*.yaml``, ``alerts.yaml``, what-if scenarios). Any problem is a
:class:`~pricing.errors.ConfigError` naming the file, the key (or line) and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pricing.errors import ConfigError
from pricing.utf8 import NotUtf8Error, decode_utf8

_M = TypeVar("_M", bound="BaseModel")


class _Strict(BaseModel):
    """The base of every file schema: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_CONFIG_BYTES = 10_000_000
MAX_DEPTH = 40  # mapping and list levels; the deepest real file has 6


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter: a key written twice in one mapping, or nesting
    deeper than ``MAX_DEPTH``, is an error with its line (PyYAML keeps the last value,
    and recurses until Python's stack runs out); a value that looks like a date but is
    not one (``2026-13-01``) is a YAML error with its line, not a bare ``ValueError``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        _refuse_duplicate_keys(node, "", set())
        return super().construct_document(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r} ({exc})", node.start_mark
            ) from None


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


class _DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: str, lines: tuple[int, int]) -> None:
        self.key, self.lines = key, lines
        super().__init__(f"{key}: key written twice (lines {lines[0]} and {lines[1]})")


def _refuse_duplicate_keys(node: yaml.Node, path: str, seen: set[int]) -> None:
    """Walk the composed document; a key written twice in one mapping (at any level)
    is a :class:`_DuplicateKeyError` with its dotted path and both lines. A key that
    follows a merge (``<<: *base``) overrides the merged one, as YAML means it to."""
    if id(node) in seen:  # an alias: already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = f"{path}.{key_node.value}" if path else str(key_node.value)
            line = key_node.start_mark.line + 1
            earlier = first.get((key_node.tag, key_node.value))
            if earlier is not None:
                raise _DuplicateKeyError(key, (earlier, line))
            first[(key_node.tag, key_node.value)] = line
            _refuse_duplicate_keys(value_node, key, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, f"{path}[{_item_name(item) or index}]", seen)


def _item_name(node: yaml.Node) -> str | None:
    """A list item's ``name:`` (competitors are named so), for the key path."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == "name"
                and isinstance(value_node, yaml.ScalarNode)
            ):
                return str(value_node.value)
    return None


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping. Missing, unreadable, too large, not UTF-8,
    not YAML, empty (or only comments), or not a mapping: a :class:`ConfigError` naming
    the file (and the line where there is one). An empty file is an error, not the
    built-in defaults: a policy file emptied by mistake must not drop its floors; ``{}``
    says "defaults" on purpose."""
    if not path.is_file():
        raise ConfigError(path, "", "file not found" if not path.exists() else "not a file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, "", f"larger than {MAX_CONFIG_BYTES // 1_000_000} MB")
    try:
        text = decode_utf8(data)
    except NotUtf8Error as exc:
        raise ConfigError(path, f"line {exc.line}", str(exc)) from None
    try:
        loaded = yaml.load(text, Loader=_YamlLoader)  # noqa: S506
    except _DuplicateKeyError as exc:
        first, second = exc.lines
        raise ConfigError(
            path, exc.key, f"key written twice (lines {first} and {second})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(path, "", "not valid YAML: nested too deeply") from None
    if loaded is None:
        raise ConfigError(
            path, "", "the file is empty; write its settings (or {} for the built-in defaults)"
        )
    if not isinstance(loaded, dict):
        raise ConfigError(
            path, "", f"the file must be a mapping of keys to values, not a {_yaml_kind(loaded)}"
        )
    return loaded


def load_config_file(model: type[_M], path: Path) -> _M:
    """One config file read and checked as ``model``: the loader of every file users
    edit (:mod:`pricing.config`'s and :mod:`scheduler.alerts`'s)."""
    return validate_config(model, path, read_yaml(path))


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def validate_config(model: type[_M], path: Path, data: Any) -> _M:
    """``data`` (a config file's content) as ``model``; a :class:`ConfigError` naming
    the file and the key otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key_path(data, err["loc"])
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        raise ConfigError(path, key, reason) from None


def _key_path(data: Any, loc: tuple[int | str, ...]) -> str:
    """Dotted key for an error location, naming list items by their ``name`` key."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{name}]" if name else f"[{item}]")
            continue
        if isinstance(item, str) and item.startswith(("function-", "nullable[", "constrained-")):
            continue
        parts.append(f".{item}" if parts else str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)

