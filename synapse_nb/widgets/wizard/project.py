"""Step 1, Project: pick the project to train on, see what is in it, choose caching.

What is in it: counts of items, classes, datasets and collections; items per dataset, tag and
collection; and a strip of thumbnails, a few per dataset, with their annotations drawn in
their classes' colours.

Example:
    >>> ProjectStep.title
    'Project'
"""

from __future__ import annotations

__all__ = ["MAX_THUMBNAILS", "ProjectStep", "THUMBS_PER_DATASET", "THUMB_PIXELS"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import esc, message_html, plural
from synapse_nb.widgets.wizard._card import StepCard, auto_width
from synapse_nb.widgets.wizard._project_view import annotated_thumbnail, group_counts_of, thumbnail_items

THUMBS_PER_DATASET = 3
MAX_THUMBNAILS = 12
THUMB_PIXELS = 96


def _groups_html(frame: Any) -> str:
    cells = "".join(f"<tr><td class='snb-muted'>{esc(row.group)}</td><td>{esc(row.name)}</td><td>{row.items}</td></tr>"
                    for row in frame.itertuples())
    return f'<table class="snb-table snb-groups"><tr><th></th><th>name</th><th>items</th></tr>{cells}</table>'


class ProjectStep(StepCard):
    """The project dropdown, its item/class/dataset counts, a few thumbnails, and "cache"."""

    key = "project"
    title = "Project"

    def build(self) -> list[w.Widget]:
        self.project = w.Dropdown(description="Project", options=[], value=None, layout=w.Layout(width="420px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=w.Layout(width="auto"),
                                       tooltip="list the projects again")
        self.cache = w.Checkbox(value=True, description="Cache the project on the agent (reuse the export next time)",
                                indent=False, layout=auto_width())
        self.info = w.HTML()
        self.groups = w.HTML()
        self.thumbs = w.HBox([], layout=w.Layout(flex_flow="row wrap", grid_gap="6px"))
        self.thumbs.add_class("snb-thumb")
        self.project.observe(lambda _c: self._show_project(), names="value")
        self.refresh_button.on_click(lambda _b: self.load_projects())
        self.load_projects()
        return [w.HBox([self.project, self.refresh_button]), self.info, self.thumbs, self.groups, self.cache]

    def load_projects(self) -> None:
        """List the backend's projects in the dropdown (keeps the choice if it still exists)."""
        projects = self.ctx.api.project.all()
        current = self.project.value
        self.project.options = [(f"{p.name} (id {p.id}) — {plural(p.item_count, 'item')}", p.id) for p in projects]
        ids = [p.id for p in projects]
        self.project.value = current if current in ids else None
        if not projects:
            self.info.value = message_html(
                "notice", "No projects yet. Import one, e.g. api.project.import_samples(num_images=64), then Refresh.")

    def _show_project(self) -> None:
        project_id = self.project.value
        self.show_error(None)
        if project_id is None:
            self.ctx.project = None
            self.info.value = ""
            self.groups.value = ""
            self.thumbs.children = ()
            return
        data = self.ctx.load_project(project_id)
        self.ctx.project = data
        p = data.project
        classes = ", ".join(f"{c.name} ({c.shape})" for c in p.classes) or "none"
        self.info.value = (
            f'<div class="snb-counts"><b>{plural(data.item_count, "item")}</b> · <b>{plural(len(p.classes), "class")}</b>'
            f' · <b>{plural(len(data.datasets), "dataset")}</b> · {plural(len(data.collections), "collection")}</div>'
            f'<div class="snb-muted">classes: {esc(classes)}</div>'
        )
        self.groups.value = _groups_html(group_counts_of(data.stats, data.datasets, data.tags, data.collections))
        colors = {c.name: c.color for c in p.classes}
        names = {d.id: d.name for d in data.datasets}
        shown = thumbnail_items(data.items, THUMBS_PER_DATASET, [d.id for d in data.datasets])[:MAX_THUMBNAILS]
        thumbs = []
        for item in shown:
            picture = annotated_thumbnail(self.ctx.api.item.image_bytes(item), item.objects, colors, size=THUMB_PIXELS)
            caption = f"{names.get(item.dataset_id, '?')} · {plural(len(item.objects), 'object')}"
            image = w.Image(value=picture, format="png", layout=w.Layout(width=f"{THUMB_PIXELS}px", height="auto"))
            thumbs.append(w.VBox([image, w.HTML(f'<div class="snb-muted snb-thumb-cap">{esc(caption)}</div>')],
                                 layout=w.Layout(width=f"{THUMB_PIXELS + 8}px")))
        self.thumbs.children = thumbs

    def check(self) -> None:
        if self.project.value is None:
            raise InputError("project_id", "a project picked from the list")
        data = self.ctx.project
        assert data is not None
        if not data.item_count:
            raise InputError("project_id", "a project with items", got=f"{data.project.name!r} is empty")
        if not data.project.classes:
            raise InputError("project_id", "a project with at least one class", got=data.project.name)

    def summary(self) -> str:
        data = self.ctx.project
        assert data is not None
        cache = "cached on the agent" if self.cache.value else "not cached"
        return (f"{data.project.name} (id {data.project.id}): {plural(data.item_count, 'item')}, "
                f"{plural(len(data.project.classes), 'class')}, {plural(len(data.datasets), 'dataset')}; {cache}")

    def fields(self) -> dict[str, Any]:
        return {"project_id": self.project.value, "cache_project": self.cache.value}

    def restore(self, state: TrainState) -> None:
        if state.project_id is None:
            raise InputError("project_id", "a saved state with a project (the wizard trains on projects)",
                             got=f"data_path={state.data_path!r}")
        ids = [value for _label, value in self.project.options]
        if state.project_id not in ids:
            self.load_projects()
            ids = [value for _label, value in self.project.options]
        if state.project_id not in ids:
            raise InputError("project_id", "a project that exists", got=state.project_id)
        self.project.value = state.project_id
        self.cache.value = state.cache_project
