"""``api.project``: projects, their class and tag metas, and whole-project import and export."""

from __future__ import annotations

__all__ = ["ProjectResource", "sample_folder"]

import shutil
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synapse_nb.api._import import ImportedProject
from synapse_nb.api.resources._base import Resource
from synapse_nb.formats.problems import OnError
from synapse_nb.schemas import ClassMeta, Page, Project, ProjectCreate, TagMeta
from synapse_nb.schemas.backend import ProjectMetaUpdate
from synapse_nb.schemas.stats import ProjectStats, SplitCells, SplitClassCounts

if TYPE_CHECKING:
    from synapse_nb.api._http import Http
    from synapse_nb.api.client import Api
    from synapse_nb.formats.raw import RawDataset


def _metas(entries: Iterable[ClassMeta | TagMeta | dict[str, Any] | str]) -> list[Any]:
    """Names become ``{"name": ...}``; the request model validates them, so errors say where."""
    return [{"name": e} if isinstance(e, str) else e for e in entries]


def sample_folder(name: str, num_images: int, image_size: int, num_classes: int, seed: int) -> Path:
    """Where ``import_samples`` keeps the generated images for these arguments.

    Example:
        >>> sample_folder("shapes", 64, 128, 3, 0).name
        'shapes-n64-s128-c3-seed0'
    """
    from synapse_nb._home import sub_dir

    return sub_dir("cache", "samples") / f"{name}-n{num_images}-s{image_size}-c{num_classes}-seed{seed}"


class ProjectResource(Resource):
    """Create, read and change projects; import and export whole projects.

    Example:
        >>> project = api.project.import_samples(num_images=64, image_size=128, name="shapes")  # doctest: +SKIP
        >>> api.project.export(project.id, "yolo", Path("/tmp/shapes-yolo"))  # doctest: +SKIP
        PosixPath('/tmp/shapes-yolo/dataset.yaml')
    """

    def __init__(self, http: Http, api: Api) -> None:
        super().__init__(http)
        self._api = api

    # -- records -----------------------------------------------------------------------

    def create(
        self,
        name: str,
        classes: Iterable[ClassMeta | dict[str, Any] | str] = (),
        tags: Iterable[TagMeta | dict[str, Any] | str] = (),
        description: str = "",
    ) -> Project:
        """Create a project with its classes (name, shape, colour) and tags."""
        body = ProjectCreate.model_validate({"name": name, "classes": _metas(classes), "tags": _metas(tags), "description": description})
        # Not retried after a 5xx: a resend could create a second project.
        return Project.model_validate(self._http.json("POST", "/projects", json=body.model_dump()))

    def get(self, id: int) -> Project:
        """One project with its counts and ``content_version``."""
        return Project.model_validate(self._http.json("GET", f"/projects/{int(id)}"))

    def list(self, offset: int = 0, limit: int = 100) -> Page[Project]:
        """One page of projects, oldest first."""
        return self._page("/projects", Project, {"offset": offset, "limit": limit})

    def all(self) -> list[Project]:
        """Every project."""
        return list(self._iter_all("/projects", Project))

    def update_meta(
        self,
        id: int,
        classes: Iterable[ClassMeta | dict[str, Any] | str] | None = None,
        tags: Iterable[TagMeta | dict[str, Any] | str] | None = None,
    ) -> Project:
        """Add classes and tags (or change their colour, by name); nothing is removed."""
        body = ProjectMetaUpdate.model_validate(
            {"classes": None if classes is None else _metas(classes), "tags": None if tags is None else _metas(tags)}
        )
        return Project.model_validate(self._http.json("PATCH", f"/projects/{int(id)}/meta", json=body.model_dump(), idempotent=True))

    def delete(self, id: int) -> None:
        """Delete a project with its datasets, items and collections."""
        self._http.request("DELETE", f"/projects/{int(id)}")

    # -- counts (aggregated by the backend, never by listing items) ----------------------

    def stats(self, id: int) -> ProjectStats:
        """Items per class, tag, dataset and collection, counted by the backend.

        Example:
            >>> api.project.stats(project.id).classes["square"].items  # doctest: +SKIP
            21
        """
        return ProjectStats.model_validate(self._http.json("GET", f"/projects/{int(id)}/stats"))

    def split_cells(self, id: int, split: Any) -> SplitCells:
        """How ``split`` sorts the project's items (train only, val only, both, neither)."""
        body = split.model_dump(mode="json")
        return SplitCells.model_validate(self._http.json("POST", f"/projects/{int(id)}/split", json=body, idempotent=True))

    def split_class_counts(self, id: int, split: Any) -> SplitClassCounts:
        """Objects of each class on each side of ``split`` (counted by the backend).

        Example:
            >>> api.project.split_class_counts(project.id, snb.RandomSplit(percent=75)).val  # doctest: +SKIP
            {'circle': 5, 'square': 4, 'triangle': 6}
        """
        body = split.model_dump(mode="json")
        return SplitClassCounts.model_validate(
            self._http.json("POST", f"/projects/{int(id)}/split/classes", json=body, idempotent=True))

    def split_counts(self, id: int, split: Any) -> tuple[int, int]:
        """``(n_train, n_val)`` of ``split`` on the project, with the split's own checks
        (an empty side, leakage, a tag no item carries raise the same InputError as
        ``split.split(items)``), computed where the items are.

        Example:
            >>> api.project.split_counts(project.id, snb.RandomSplit(percent=75))  # doctest: +SKIP
            (48, 16)
        """
        return split.count(self.split_cells(id, split))

    # -- import ------------------------------------------------------------------------

    def import_raw(self, raw: RawDataset, name: str | None = None, progress: bool = True) -> Project:
        """Upload a raw dataset folder as a new project (all of it, or nothing)."""
        from synapse_nb.api._import import import_raw

        return import_raw(self._api, raw, name=name, progress=progress)

    def import_samples(
        self, num_images: int = 64, image_size: int = 128, name: str = "shapes", num_classes: int = 3, seed: int = 0, progress: bool = True
    ) -> Project:
        """Generate a sample project of synthetic shapes and upload it.

        The generated images are kept under ``<home>/cache/samples/`` (the same arguments
        give the same images), so a second import doesn't draw them again.
        """
        from synapse_nb.formats.raw import RawDataset
        from synapse_nb.samples import generate_sample_project

        folder = sample_folder(name, num_images, image_size, num_classes, seed)
        if (folder / "dataset.json").is_file():
            raw = RawDataset.read(folder)
        else:
            if folder.exists():  # a folder without its manifest is an interrupted generation
                shutil.rmtree(folder)
            raw = generate_sample_project(
                folder, num_images=num_images, image_size=image_size, num_classes=num_classes, seed=seed, name=name, progress=progress
            )
        return self.import_raw(raw, name=name, progress=progress)

    def import_yolo(self, path: Path, name: str | None = None, progress: bool = True,
                    on_error: OnError = "raise") -> ImportedProject:
        """Import a YOLO dataset (its dataset.yaml or the folder with it) as a new project.

        Every image is decoded and every label line checked first. ``on_error="raise"``
        refuses bad data with an InputError naming the file and line, and nothing is
        stored; ``"skip"`` imports the good images and lists the others, with why, in the
        returned project's ``skipped``.
        """
        from synapse_nb.formats.problems import Problems
        from synapse_nb.formats.yolo import read_yolo

        problems = Problems(on_error)
        raw = read_yolo(Path(path), name, problems=problems)
        return self._imported(self.import_raw(raw, name=name, progress=progress), problems)

    def import_coco(self, images_dir: Path, annotations_json: Path, name: str | None = None, progress: bool = True,
                    on_error: OnError = "raise") -> ImportedProject:
        """Import a COCO dataset (images folder + annotations file) as a new project.

        As :meth:`import_yolo`: bad images and annotations (a box of zero or negative size,
        an unknown category) are refused naming the file and annotation id, or with
        ``on_error="skip"`` their images are left out and listed in ``skipped``.
        """
        from synapse_nb.formats.coco import read_coco
        from synapse_nb.formats.problems import Problems

        problems = Problems(on_error)
        raw = read_coco(Path(images_dir), Path(annotations_json), name, problems=problems)
        return self._imported(self.import_raw(raw, name=name, progress=progress), problems)

    @staticmethod
    def _imported(project: Project, problems: Any) -> ImportedProject:
        if problems.skipped:
            warnings.warn(f"{len(problems.skipped)} images were skipped (project.skipped says which and why)",
                          UserWarning, stacklevel=3)
        return ImportedProject(**project.model_dump(), skipped=problems.skipped)

    # -- export ------------------------------------------------------------------------

    def download_raw(
        self,
        project_id: int,
        dest: Path,
        classes: list[str] | None = None,
        item_ids: list[int] | None = None,
        split: dict[int, Literal["train", "val"]] | None = None,
        progress: bool = True,
    ) -> RawDataset:
        """Write (or bring up to date) a raw dataset folder of the project at ``dest``.

        ``classes`` keeps only those classes' objects (an unknown name is an error);
        ``item_ids`` and ``split`` (item id -> 'train' | 'val') choose the items.
        """
        from synapse_nb.api._export import download_raw

        return download_raw(self._api, project_id, Path(dest), classes=classes, item_ids=item_ids, split=split, progress=progress)

    def export(
        self,
        project_id: int,
        fmt: Literal["yolo", "coco"],
        dest: Path,
        split: Any = None,
        classes: list[str] | None = None,
        task: str = "detect",
        progress: bool = True,
    ) -> Path:
        """Export the project as YOLO (returns dataset.yaml) or COCO (returns annotations.json).

        ``split`` is a train/val split (RandomSplit, DatasetsSplit, TagsSplit,
        CollectionsSplit); YOLO needs one and defaults to ``RandomSplit(percent=80,
        split="train", seed=0)``; COCO without one writes a single annotations file.
        """
        from synapse_nb.api._export import export

        return export(self._api, project_id, fmt, Path(dest), split=split, classes=classes, task=task, progress=progress)
