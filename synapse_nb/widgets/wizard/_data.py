"""The wizard's pure parts: project facts, class statistics, shape conversion, and the text
editors' parsing with line numbers. No widgets here, so each is testable on plain data.

Example:
    >>> hyperparameter_error_line("epochs: 3\\nepoch: 4\\n", "hyperparameters.epoch")
    2
    >>> parse_search_space("- {name: lr0, type: uniform, min: 0.001, max: 0.01}").names
    ['lr0']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from synapse_nb.errors import InputError
from synapse_nb.schemas import CollectionSummary, Dataset, Item, Project
from synapse_nb.schemas.stats import ProjectStats
from synapse_nb.search_space import SearchSpace

# The shapes a model of each task type trains on; other shapes are converted (or refused).
TARGET_SHAPES: dict[str, tuple[str, ...]] = {
    "object detection": ("rectangle",),
    "instance segmentation": ("polygon", "bitmap"),
}
SEARCH_SPACE_FIELD = "search_space"
DEFAULT_SEARCH_SPACE = """\
# One entry per searched hyperparameter (YAML or JSON list). Types: uniform, quniform,
# loguniform, qloguniform, randn, qrandn, randint, qrandint, lograndint, qlograndint,
# choice, grid_search.
- name: lr0
  type: loguniform
  min: 0.0001
  max: 0.01
  base: 10
- name: optimizer
  type: choice
  options: [SGD, AdamW]
"""


# How many items the wizard fetches to show (thumbnails); the counts come from the backend.
FIRST_ITEMS = 16


class ProjectData(BaseModel):
    """Everything the wizard reads about one project, fetched once when it is picked.

    ``stats`` are the backend's counts (per class, tag, dataset, collection); ``items`` only
    the first few items, for thumbnails, so picking a project costs the same at any size.
    """

    model_config = ConfigDict(frozen=True)

    project: Project
    stats: ProjectStats
    items: list[Item]
    datasets: list[Dataset]
    collections: list[CollectionSummary]

    @property
    def item_count(self) -> int:
        """How many items the project has."""
        return self.stats.item_count

    @property
    def tags(self) -> list[str]:
        """Tags of the project meta and tags found on items, meta order first.

        Example:
            >>> data.tags  # doctest: +SKIP
            ['train', 'val']
        """
        names = [t.name for t in self.project.tags]
        found = sorted(set(self.stats.tags) - set(names))
        return names + found


class ClassStat(BaseModel):
    """One class of a project with how often it occurs."""

    model_config = ConfigDict(frozen=True)

    name: str
    shape: str
    objects: int
    items: int


def class_stats(project: Project, items: Iterable[Item]) -> list[ClassStat]:
    """Objects and items per class of ``project``, in the project's class order.

    Example:
        >>> from synapse_nb.schemas import ClassMeta
        >>> import datetime as dt
        >>> now = dt.datetime.now(dt.timezone.utc)
        >>> p = Project(id=1, name="p", classes=[ClassMeta(name="cat")], created_at=now, updated_at=now)
        >>> class_stats(p, [])
        [ClassStat(name='cat', shape='rectangle', objects=0, items=0)]
    """
    objects: dict[str, int] = {}
    holders: dict[str, int] = {}
    for item in items:
        seen = set()
        for obj in item.objects:
            objects[obj.class_name] = objects.get(obj.class_name, 0) + 1
            seen.add(obj.class_name)
        for name in seen:
            holders[name] = holders.get(name, 0) + 1
    return [ClassStat(name=c.name, shape=c.shape, objects=objects.get(c.name, 0), items=holders.get(c.name, 0))
            for c in project.classes]


def class_stats_of(project: Project, stats: ProjectStats) -> list[ClassStat]:
    """:func:`class_stats` from the backend's counts, without the items.

    Example:
        >>> from synapse_nb.schemas import ClassMeta
        >>> from synapse_nb.schemas.stats import ClassCount
        >>> import datetime as dt
        >>> now = dt.datetime.now(dt.timezone.utc)
        >>> p = Project(id=1, name="p", classes=[ClassMeta(name="cat"), ClassMeta(name="dog")], created_at=now, updated_at=now)
        >>> class_stats_of(p, ProjectStats(project_id=1, item_count=5, classes={"cat": ClassCount(objects=7, items=4)}))[0]
        ClassStat(name='cat', shape='rectangle', objects=7, items=4)
    """
    zero = {"objects": 0, "items": 0}
    return [ClassStat(name=c.name, shape=c.shape,
                      **(stats.classes[c.name].model_dump() if c.name in stats.classes else zero))
            for c in project.classes]


def shape_conversions(stats: Iterable[ClassStat], selected: Iterable[str], task_type: str) -> list[tuple[str, str, str]]:
    """``(class, shape, target shape)`` for each selected class whose shape the model's task
    does not train on.

    Example:
        >>> s = [ClassStat(name="tri", shape="polygon", objects=3, items=2),
        ...      ClassStat(name="box", shape="rectangle", objects=1, items=1)]
        >>> shape_conversions(s, ["tri", "box"], "object detection")
        [('tri', 'polygon', 'rectangle')]
        >>> shape_conversions(s, ["tri", "box"], "instance segmentation")
        [('box', 'rectangle', 'polygon')]
    """
    fits = TARGET_SHAPES.get(task_type)
    if not fits:
        return []
    wanted = set(selected)
    return [(s.name, s.shape, fits[0]) for s in stats if s.name in wanted and s.shape not in fits]


def key_line(text: str, key: str) -> int | None:
    """The 1-based line where the top-level YAML ``key`` is set (the last one if repeated).

    Example:
        >>> key_line("# c\\nepochs: 3\\nlr0: 0.1\\n", "lr0")
        3
        >>> key_line("epochs: 3", "batch") is None
        True
    """
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    found = None
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            found = number
    return found


def hyperparameter_error_line(text: str, field: str) -> int | None:
    """The line an InputError on ``hyperparameters.<key>`` is about (None if it is not a key's).

    Example:
        >>> hyperparameter_error_line("imgsz: 64\\nbatch: -3\\n", "hyperparameters.batch")
        2
    """
    prefix = "hyperparameters."
    if not field.startswith(prefix):
        return None
    return key_line(text, field[len(prefix):].split(".")[0].split("[")[0])


def hyperparameter_message(text: str, exc: InputError) -> str:
    """The error shown under the YAML editor: always with a line number when there is one.

    Syntax errors already say "line L, column C"; a bad key or value gets the line of its key.

    Example:
        >>> hyperparameter_message("epochs: 3\\nepoch: 4", InputError("hyperparameters.epoch", "a known setting", got="epoch"))
        "line 2: hyperparameters.epoch: expected a known setting, got 'epoch'"
    """
    line = hyperparameter_error_line(text, exc.field)
    return f"line {line}: {exc}" if line is not None else str(exc)


def _yaml_error(field: str, exc: yaml.YAMLError) -> InputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        return InputError(field, "valid YAML or JSON", got=f"{exc.problem or exc.context or 'invalid YAML'} at {where}")
    return InputError(field, "valid YAML or JSON", got=str(exc))


def _entry_lines(text: str) -> list[int]:
    """The 1-based line each entry of a top-level YAML list starts on ([] if not a list)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [child.start_mark.line + 1 for child in node.value]


def parse_search_space(text: str) -> SearchSpace:
    """The search space written in the tuning editor (a YAML or JSON list of entries).

    Errors are InputErrors whose field starts with the line of the entry at fault, then the
    entry and key as the search space names them (``line 4: hyperparameters[1] 'lr0': max``).

    Example:
        >>> parse_search_space("[]")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: search_space: expected at least one searched hyperparameter...
        >>> try:
        ...     parse_search_space("- {name: lr0, type: uniform, min: 0.1, max: 0.01}")
        ... except InputError as exc:
        ...     print(exc.field)
        line 1: hyperparameters[0] 'lr0': max
    """
    try:
        value = yaml.safe_load(text) if text and text.strip() else None
    except yaml.YAMLError as exc:
        raise _yaml_error(SEARCH_SPACE_FIELD, exc) from None
    if not value:
        raise InputError(SEARCH_SPACE_FIELD, "at least one searched hyperparameter (a list of {name, type, ...})",
                         got=value if value is not None else "nothing")
    if not isinstance(value, list):
        raise InputError(SEARCH_SPACE_FIELD, "a list of entries like '- {name: lr0, type: uniform, min: ..., max: ...}'",
                         got=type(value).__name__)
    try:
        return SearchSpace.model_validate(value)
    except ValidationError as error:
        exc = _input_error(error)
        index = _index_of(exc.field)
        lines = _entry_lines(text)
        where = f"line {lines[index]}: " if index is not None and index < len(lines) else ""
        raise InputError(f"{where}{exc.field}", exc.expected, got=exc.got, hint=exc.hint) from None


def _input_error(error: ValidationError) -> InputError:
    """The InputError a validator raised inside pydantic, else the first problem restated."""
    first = error.errors(include_url=False)[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        return cause
    where = ".".join(str(part) for part in first["loc"])
    return InputError(f"{SEARCH_SPACE_FIELD}{'.' + where if where else ''}", str(first["msg"]).removeprefix("Value error, "))


def entry_line(text: str, name: str) -> int | None:
    """The 1-based line where the search-space entry called ``name`` starts (None if absent).

    Example:
        >>> entry_line("- {name: a, type: choice, options: [1]}\\n- {name: b, type: choice, options: [2]}", "b")
        2
    """
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(entries, list):
        return None
    lines = _entry_lines(text)
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("name") == name and index < len(lines):
            return lines[index]
    return None


def _index_of(field: str) -> int | None:
    match = re.search(r"\[(\d+)\]", field)
    return int(match.group(1)) if match else None


def search_space_text(space: SearchSpace) -> str:
    """YAML text of a search space that :func:`parse_search_space` reads back equal.

    Example:
        >>> space = parse_search_space("- {name: batch, type: grid_search, options: [8, 16]}")
        >>> parse_search_space(search_space_text(space)) == space
        True
    """
    return yaml.safe_dump(space.to_payload(), sort_keys=False, default_flow_style=None, allow_unicode=True)


def parse_options(text: str, field: str) -> dict[str, Any]:
    """A YAML/JSON mapping of options (empty text gives ``{}``).

    Example:
        >>> parse_options("[1, 2]", "tune_config.scheduler.options")
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: tune_config.scheduler.options: expected a mapping like {max_t: 10, grace_period: 1}, got 'list'
        >>> parse_options("{max_t: 10, grace_period: 1}", "x")
        {'max_t': 10, 'grace_period': 1}
    """
    if not text or not text.strip():
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(field, exc) from None
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InputError(field, "a mapping like {max_t: 10, grace_period: 1}", got=type(value).__name__)
    return value


def options_text(options: dict[str, Any] | None) -> str:
    """One-line YAML of an options mapping ('' when empty), read back by :func:`parse_options`.

    Example:
        >>> options_text({"max_t": 10})
        '{max_t: 10}'
    """
    if not options:
        return ""
    return yaml.safe_dump(options, default_flow_style=True, sort_keys=False, width=10_000).strip()


def sample_values(space: SearchSpace) -> dict[str, Any]:
    """One value of every searched hyperparameter, to check the names and types with the
    framework before anything runs.

    Example:
        >>> sample_values(parse_search_space("- {name: optimizer, type: choice, options: [SGD, Adam]}"))
        {'optimizer': 'SGD'}
    """
    values: dict[str, Any] = {}
    for param in space:
        options = getattr(param, "options", None)
        if options:
            values[param.name] = options[0]
            continue
        low = getattr(param, "min", None)
        if low is None:
            low = getattr(param, "mean", None)
        if isinstance(low, float) and param.type in ("randint", "qrandint", "lograndint", "qlograndint"):
            low = int(math.ceil(low))
        if low is not None:
            values[param.name] = low
    return values
