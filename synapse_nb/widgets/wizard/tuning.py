"""The tuning editor of step 5: the search space (a YAML or JSON list) and the tune config,
validated as the user types.

Search algorithms and schedulers come from the tuning registry; one that cannot run here
(a missing package) stays listed, marked unavailable with the reason, and is refused.

Example:
    >>> TuningEditor.__name__
    'TuningEditor'
"""

from __future__ import annotations

__all__ = ["DEFAULT_LABEL", "METRIC_SUGGESTIONS", "TuningEditor", "registry_options", "space_table_html"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.widgets._common import error_text, esc, message_html, plural
from synapse_nb.widgets.wizard._data import (
    DEFAULT_SEARCH_SPACE,
    entry_line,
    options_text,
    parse_options,
    parse_search_space,
    sample_values,
    search_space_text,
)
from synapse_nb.widgets.wizard._hp_data import search_space_frame

# What a YOLO run reports per epoch under these names (the tune metric must be one of them).
METRIC_SUGGESTIONS = ("mAP50-95", "mAP50", "precision", "recall", "val/box_loss", "val/cls_loss", "fitness")
DEFAULT_LABEL = "(default)"


def registry_options(registry: Any, kind: str) -> tuple[list[tuple[str, str | None]], dict[str, str]]:
    """Dropdown options for search algorithms or schedulers, and the reasons some are unavailable.

    Example:
        >>> from synapse_nb.tuning_registry import DEFAULT_REGISTRY
        >>> options, unavailable = registry_options(DEFAULT_REGISTRY, "scheduler")
        >>> options[0], options[1][1]
        (('(default) FIFO: run every trial to the end', None), 'asha')
    """
    names = registry.names(kind)
    default = "random / grid search" if kind == "search_alg" else "FIFO: run every trial to the end"
    options: list[tuple[str, str | None]] = [(f"{DEFAULT_LABEL} {default}", None)]
    unavailable: dict[str, str] = {}
    for name in names:
        entry = registry.entry(name)
        ok, reason = registry.available(name)
        if ok:
            options.append((f"{name} — {entry.title}", name))
        else:
            unavailable[name] = reason
            options.append((f"{name} — unavailable: {reason}", name))
    return options, unavailable


def space_table_html(space: SearchSpace) -> str:
    """The search space as a small table: name, type, range or options, values.

    Example:
        >>> space = SearchSpace.model_validate([{"name": "batch", "type": "grid_search", "options": [8, 16]}])
        >>> "<td>8, 16</td><td>2 (grid)</td>" in space_table_html(space)
        True
    """
    frame = search_space_frame(space)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f'<table class="snb-table snb-search-space"><tr>{head}</tr>{rows}</table>'


class TuningEditor:
    """Search space text + tune config controls; :meth:`build` gives the validated pair.

    ``registry`` is the tuning registry the dropdowns list (the process-wide one by default).

    The registry is read when the editor is first shown (it imports Ray Tune and the search
    libraries to see which work), not when the wizard opens.
    """

    def __init__(self, on_change: Any, registry: Any = None) -> None:
        from synapse_nb.tuning_registry import DEFAULT_REGISTRY

        self._on_change = on_change
        self.registry = registry if registry is not None else DEFAULT_REGISTRY
        self._loaded = False
        self._unavailable: dict[str, str] = {}
        self.space = w.Textarea(value=DEFAULT_SEARCH_SPACE, rows=12, continuous_update=True,
                                layout=w.Layout(width="100%"))
        self.space_status = w.HTML()
        self.metric = w.Combobox(value="mAP50-95", options=METRIC_SUGGESTIONS, ensure_option=False,
                                 description="Metric", layout=w.Layout(width="300px"))
        self.mode = w.Dropdown(options=[("max (higher is better)", "max"), ("min (lower is better)", "min")],
                               value="max", description="Mode", layout=w.Layout(width="300px"))
        self.num_samples = w.BoundedIntText(value=4, min=1, max=100_000, description="Samples",
                                            layout=w.Layout(width="200px"))
        self.max_concurrent = w.BoundedIntText(value=0, min=0, max=10_000, description="At once",
                                               tooltip="trials running at the same time; 0 = no limit",
                                               layout=w.Layout(width="200px"))
        self.search_alg = w.Dropdown(options=[(f"{DEFAULT_LABEL} random / grid search", None)], value=None,
                                     description="Search", layout=w.Layout(width="520px"))
        self.search_alg_options = w.Text(value="", description="Options", placeholder="{n_initial_points: 5}",
                                         layout=w.Layout(width="520px"))
        self.scheduler = w.Dropdown(options=[(f"{DEFAULT_LABEL} FIFO: run every trial to the end", None)], value=None,
                                    description="Scheduler", layout=w.Layout(width="520px"))
        self.scheduler_options = w.Text(value="", description="Options", placeholder="{max_t: 10, grace_period: 1}",
                                        layout=w.Layout(width="520px"))
        self.status = w.HTML()
        self.space_table = w.HTML()
        # Points to evaluate have no editor: a restored state keeps its own.
        self._points: list[dict[str, Any]] | None = None
        # What a restored tune config had beyond these controls (best_scope, failure limits,
        # the further objectives of a multi-objective search): kept as it was.
        self._kept: dict[str, Any] = {}
        self._objectives: tuple[list[str], list[str]] | None = None
        for control in (self.space, self.metric, self.mode, self.num_samples, self.max_concurrent, self.search_alg,
                        self.search_alg_options, self.scheduler, self.scheduler_options):
            control.observe(lambda _c: self._changed(), names="value")
        space_box = w.VBox([w.HTML('<div class="snb-muted">Searched hyperparameters (YAML or JSON list)</div>'),
                            self.space, self.space_status, self.space_table])
        space_box.add_class("snb-mono")
        self.widget = w.VBox([
            space_box,
            w.HBox([self.metric, self.mode]),
            w.HBox([self.num_samples, self.max_concurrent]),
            self.search_alg, self.search_alg_options, self.scheduler, self.scheduler_options, self.status,
        ])

    def load_registry(self) -> None:
        """Fill the search algorithm and scheduler dropdowns from the tuning registry (once)."""
        if self._loaded:
            return
        algorithms, unavailable_a = registry_options(self.registry, "search_alg")
        schedulers, unavailable_s = registry_options(self.registry, "scheduler")
        self._unavailable = {**unavailable_a, **unavailable_s}
        current_a, current_s = self.search_alg.value, self.scheduler.value
        self.search_alg.options = algorithms
        self.scheduler.options = schedulers
        self.search_alg.value = current_a
        self.scheduler.value = current_s
        self._loaded = True

    def _changed(self) -> None:
        self._on_change()

    def search_space(self) -> SearchSpace:
        """The searched hyperparameters (InputError with the line of the entry at fault)."""
        return parse_search_space(self.space.value)

    def tune_config(self) -> TuneConfig:
        """The tune config of the controls (raises naming the field)."""
        for control, name in ((self.search_alg, "tune_config.search_alg.name"), (self.scheduler, "tune_config.scheduler.name")):
            if control.value in self._unavailable:
                raise InputError(name, "a search algorithm or scheduler that can run here", got=control.value,
                                 hint=self._unavailable[control.value])
        search_alg = None
        if self.search_alg.value is not None or self._points:
            search_alg = {"name": self.search_alg.value or "basicvariantgenerator",
                          "options": parse_options(self.search_alg_options.value, "tune_config.search_alg.options")}
            if self._points:
                search_alg["points_to_evaluate"] = self._points
        elif self.search_alg_options.value.strip():
            raise InputError("tune_config.search_alg.options", "a search algorithm picked for these options",
                             got=self.search_alg_options.value)
        scheduler = None
        if self.scheduler.value is not None:
            scheduler = {"name": self.scheduler.value,
                         "options": parse_options(self.scheduler_options.value, "tune_config.scheduler.options")}
        elif self.scheduler_options.value.strip():
            raise InputError("tune_config.scheduler.options", "a scheduler picked for these options",
                             got=self.scheduler_options.value)
        metric: str | list[str] = self.metric.value.strip()
        mode: str | list[str] = self.mode.value
        if self._objectives is not None and (metric, mode) == (self._objectives[0][0], self._objectives[1][0]):
            metric, mode = self._objectives  # the first objective unchanged: the others stay
        return TuneConfig(mode=mode, metric=metric, num_samples=self.num_samples.value,
                          max_concurrent_trials=self.max_concurrent.value or None, search_alg=search_alg,
                          scheduler=scheduler, **self._kept)

    def build(self, framework: Any, hyperparameters: dict[str, Any]) -> tuple[SearchSpace, TuneConfig]:
        """The validated search space and tune config; the searched names are checked with the
        framework, together with the fixed ``hyperparameters``."""
        space = self.search_space()
        config = self.tune_config()
        config.check_space(space)
        if framework is not None:
            try:
                framework.validate_hyperparameters({**hyperparameters, **sample_values(space)})
            except InputError as exc:
                name = exc.field.removeprefix("hyperparameters.")
                line = entry_line(self.space.value, name) if name in space.names else None
                if line is None:
                    raise
                raise InputError(f"line {line}: searched {exc.field}", exc.expected, got=exc.got, hint=exc.hint) from None
        return space, config

    def show(self, framework: Any, hyperparameters: dict[str, Any] | None) -> bool:
        """Validate and show the result under the editor; True when valid.

        ``hyperparameters`` None means the fixed hyperparameters are invalid themselves (the
        step shows that error); the search space is still checked on its own.
        """
        try:
            space = self.search_space()
        except ValueError as exc:
            self.space_status.value = message_html("error", error_text(exc))
            self.space_table.value = ""
            self.status.value = ""
            return False
        self.space_table.value = space_table_html(space)
        self.space_status.value = message_html("ok", f"✓ {plural(len(space), 'searched hyperparameter')}: "
                                                     f"{', '.join(space.names)}")
        if hyperparameters is None:
            self.status.value = ""
            return False
        try:
            space, config = self.build(framework, hyperparameters)
        except ValueError as exc:
            self.status.value = message_html("error", error_text(exc))
            return False
        total = config.total_trials(space)
        grid = total // config.num_samples if config.num_samples else 1
        how = f" ({config.num_samples} samples × a grid of {grid})" if grid > 1 else ""
        self.status.value = f'<div class="snb-ok">✓ {esc(plural(total, "trial"))} will run{esc(how)}</div>'
        return True

    def restore(self, space: SearchSpace | None, config: TuneConfig | None) -> None:
        """Set the editor from a saved search space and tune config."""
        self.load_registry()
        if space is not None:
            self.space.value = search_space_text(space)
        if config is None:
            return
        self.metric.value = config.primary_metric
        self.mode.value = config.primary_mode
        self._objectives = (config.metrics, config.modes) if config.multi_objective else None
        self._kept = {name: getattr(config, name) for name in
                      ("best_scope", "max_failed_trials", "max_consecutive_failures", "idle_timeout")}
        self.num_samples.value = config.num_samples
        self.max_concurrent.value = config.max_concurrent_trials or 0
        search = config.search_alg
        self._points = search.points_to_evaluate if search else None
        self.search_alg.value = search.name if search else None
        self.search_alg_options.value = options_text(search.options) if search else ""
        self.scheduler.value = config.scheduler.name if config.scheduler else None
        self.scheduler_options.value = options_text(config.scheduler.options) if config.scheduler else ""
