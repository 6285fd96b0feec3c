"""Reading a configuration file of the contract (partner registry, policy, managers) from YAML.

Every problem is said in one line that names the file, the line and the field, so an operator
can mend it at once. (These files hold organisations, rules and staff, never a child's details.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class ConfigFileError(ValueError):
    """A configuration file that cannot be used, said in one line."""


def load_yaml_model(path: Path, model: type[Model]) -> Model:
    """``path`` read as YAML and validated as ``model``, or :class:`ConfigFileError`."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigFileError(f"{path}: not valid YAML{where}") from None
    try:
        return model.model_validate(document if document is not None else {})
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
        line = _line_of(text, first["loc"])
        where = f" (line {line})" if line else ""
        count = error.error_count()
        more = f"; {count - 1} more problem(s)" if count > 1 else ""
        raise ConfigFileError(f"{path}{where}: {loc}: {first['msg']}{more}") from None


def _line_of(text: str, loc: Sequence[int | str]) -> int | None:
    """The line of the YAML node at ``loc`` (or of its nearest parent that exists)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if getattr(k, "value", None) == str(part)]
            if not found:
                break
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line
