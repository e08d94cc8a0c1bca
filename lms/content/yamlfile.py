"""YAML loading that remembers where each mapping, key and list item came from."""
from dataclasses import dataclass

import yaml


class LineDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}
        self.duplicate_keys: list[tuple[str, int]] = []

    def line_of(self, key) -> int:
        """The line of ``key`` if present, else of the mapping itself."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows its own line and the line of each item."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_lines: list[int] = []


# libyaml's parser when available (several times faster on the banks); same nodes, same marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    line_offset = 0


def _construct_mapping(loader: _Loader, node, deep=False):
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1 + loader.line_offset
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1 + loader.line_offset
        if key in mapping:
            mapping.duplicate_keys.append((key, key_line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_line
    return mapping


def _construct_sequence(loader: _Loader, node, deep=False):
    seq = LineList(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = node.start_mark.line + 1 + loader.line_offset
    seq.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    return seq


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Dates stay text ("2026-11-30"): the schemas validate them as ISO dates, and hashes stay JSON-safe.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@dataclass
class YAMLProblem(Exception):
    """YAML that does not parse, with the line where the parser stopped."""

    line: int
    message: str


def load_yaml(text: str, line_offset: int = 0):
    """Parse YAML text into LineDict/LineList values; raise YAMLProblem with a line on bad syntax."""
    loader_cls = type("_OffsetLoader", (_Loader,), {"line_offset": line_offset})
    try:
        return yaml.load(  # nosec B506: _Loader subclasses SafeLoader: no arbitrary objects  # noqa: S506
            text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        raise YAMLProblem(line, f"YAML syntax: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(1 + line_offset, f"YAML syntax: {exc}") from None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split '---' front matter from a Markdown body: (yaml, body, body's first line), or None."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return None
