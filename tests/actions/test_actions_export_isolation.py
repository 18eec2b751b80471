"""Two runs of one project with other splits and classes: each converts and trains from what
it exported itself, even though both update the project's one cached raw folder."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from synapse_nb.actions.train.run import TrainRun
from synapse_nb.formats.raw import RawDataset
from synapse_nb.steps import ExportDatasetStep
from synapse_nb.steps.export import project_cache_dir


def _export(api: Any, project: Any, work_dir: Path, split: dict[str, Any], classes: list[str] | None) -> Path:
    context = SimpleNamespace(params={"dataset": project.id, "train_val_split": split, "classes": classes},
                              client=api, run=TrainRun(None, None), state=None, work_dir=work_dir,
                              set_progress=lambda *args, **kwargs: None, dataset=None, action=None)
    ExportDatasetStep().execute(context)
    return Path(context.dataset["raw_path"])


def _view(root: Path) -> tuple[dict[int, str | None], set[str]]:
    raw = RawDataset.read(root)
    for item in raw.items:
        assert (root / item.image).is_file(), f"{item.image} missing from {root}"
    return {item.id: item.split for item in raw.items}, {o.class_name for item in raw.items for o in item.objects}


def test_a_later_export_of_the_project_does_not_change_an_earlier_runs_dataset(api: Any, project: Any, tmp_path: Path) -> None:
    first = _export(api, project, tmp_path / "run-a", {"kind": "random", "percent": 50, "seed": 1}, None)
    before = _view(first)

    second = _export(api, project, tmp_path / "run-b", {"kind": "random", "percent": 80, "seed": 2}, ["square"])
    splits_b, classes_b = _view(second)
    assert classes_b == {"square"} and splits_b != before[0]

    assert _view(first) == before, "the first run's dataset changed under it"
    shared = project_cache_dir(api.url, project.id) / "raw"
    assert first != shared and second != shared
    # The shared folder is still the download cache: it holds the latest export.
    assert _view(shared) == (splits_b, classes_b)
