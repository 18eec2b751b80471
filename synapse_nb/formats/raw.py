"""The raw dataset folder: our own on-disk form of a project (or part of one).

Every conversion goes through it. Export from the backend writes one; the YOLO and COCO
writers read one; the YOLO and COCO readers and the sample generator produce one, which
the client then uploads as a project. Layout::

    <root>/dataset.json              RawDataset without `root` (meta + items)
    <root>/images/<dataset>/<name>   the image files, original file names kept

Example:
    >>> from synapse_nb.schemas import ClassMeta
    >>> meta = RawMeta(project_name="shapes", classes=[ClassMeta(name="circle", shape="polygon")])
    >>> RawDataset(meta=meta, items=[]).class_names()
    ['circle']
"""

from __future__ import annotations

__all__ = ["MANIFEST", "RawCollectionRef", "RawDataset", "RawDatasetRef", "RawItem", "RawMeta"]

import json
import shutil
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from synapse_nb._atomic import atomic_write_text
from synapse_nb.schemas.project import ClassMeta, LabelObject, TagMeta

MANIFEST = "dataset.json"


class RawDatasetRef(BaseModel):
    """A dataset of the project: its backend id (or a local sequence number) and name."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str


class RawCollectionRef(BaseModel):
    """A collection of the project: id and name (membership is on the items)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str


class RawMeta(BaseModel):
    """Project-level facts: name, classes, tags, datasets, collections."""

    model_config = ConfigDict(extra="forbid")

    project_id: int | None = None
    project_name: str
    classes: list[ClassMeta] = Field(default_factory=list)
    tags: list[TagMeta] = Field(default_factory=list)
    datasets: list[RawDatasetRef] = Field(default_factory=list)
    collections: list[RawCollectionRef] = Field(default_factory=list)
    # Backend content version the export was made from (None for local data).
    content_version: int | None = None


class RawItem(BaseModel):
    """One image and its annotation.

    ``image`` is relative to the raw root, or absolute for a dataset that the YOLO and COCO
    readers reference in place (no copy of the user's images).
    """

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    dataset_id: int
    image: str
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    tags: list[str] = Field(default_factory=list)
    collections: list[int] = Field(default_factory=list)
    objects: list[LabelObject] = Field(default_factory=list)
    image_hash: str | None = None
    # Its id in the file it came from (a COCO image id): kept in the project, used on export.
    source_id: int | None = None
    # Set by an export made with a train/val split.
    split: Literal["train", "val"] | None = None


class RawDataset(BaseModel):
    """A project (or the exported part of one) as a folder of images plus one manifest."""

    model_config = ConfigDict(extra="forbid")

    meta: RawMeta
    items: list[RawItem] = Field(default_factory=list)
    _root: Path | None = PrivateAttr(default=None)

    @property
    def root(self) -> Path:
        """The folder this dataset lives in (set by :meth:`read` / :meth:`write`)."""
        if self._root is None:
            raise ValueError("this RawDataset is not on disk yet: call write(root) first")
        return self._root

    def attach(self, root: Path) -> RawDataset:
        """Record that the images live under ``root`` (without writing anything)."""
        self._root = Path(root).resolve()
        return self

    def image_path(self, item: RawItem) -> Path:
        """Absolute path of an item's image (an absolute ``item.image`` needs no root)."""
        image = Path(item.image)
        if image.is_absolute():
            return image
        return self.root / image

    def class_names(self) -> list[str]:
        """Class names in meta order (the order YOLO class indices follow)."""
        return [c.name for c in self.meta.classes]

    def dataset_name(self, dataset_id: int) -> str:
        """Name of a dataset by id."""
        for ref in self.meta.datasets:
            if ref.id == dataset_id:
                return ref.name
        raise KeyError(f"no dataset with id {dataset_id} in {self.meta.project_name!r}")

    def write_manifest(self, root: Path | None = None) -> Path:
        """Write ``dataset.json`` atomically (temp name, then rename) and attach ``root``."""
        if root is not None:
            self.attach(root)
        self.root.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(self.root / MANIFEST, self.model_dump_json())

    @classmethod
    def read(cls, root: Path) -> RawDataset:
        """Read a raw dataset folder."""
        root = Path(root)
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        return cls.model_validate(data).attach(root)

    def linked_copy(self, dest: Path) -> RawDataset:
        """This dataset again at ``dest``: its own manifest, hard links to the images (copies
        where links can't be made); an existing ``dest`` is replaced. Images given by an
        absolute path stay where they are.

        A folder that others rewrite (the project's cached export) can be read from the copy
        without seeing their changes, at no cost in image bytes.

        Example:
            >>> import tempfile
            >>> from synapse_nb.schemas import ClassMeta
            >>> src, dest = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "copy"
            >>> (src / "images" / "ds").mkdir(parents=True)
            >>> _ = (src / "images" / "ds" / "a.png").write_bytes(b"png")
            >>> raw = RawDataset(meta=RawMeta(project_name="p", classes=[ClassMeta(name="c")]),
            ...                  items=[RawItem(id=1, name="a.png", dataset_id=1, image="images/ds/a.png", width=1, height=1)])
            >>> _ = raw.write_manifest(src)
            >>> copy = raw.linked_copy(dest)
            >>> copy.image_path(copy.items[0]).read_bytes(), (src / "images/ds/a.png").stat().st_nlink
            (b'png', 2)
        """
        from synapse_nb.formats._files import Linker

        dest = Path(dest)
        if dest.exists():
            shutil.rmtree(dest)
        linker = Linker()
        made: set[Path] = set()
        for item in self.items:
            if Path(item.image).is_absolute():
                continue
            target = dest / item.image
            if target.parent not in made:  # one mkdir per folder, not per image
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            linker.place(self.image_path(item), target)
        copy = RawDataset(meta=self.meta, items=self.items)
        copy.write_manifest(dest)
        return copy
