"""The training wizard, step by step, driven through its widgets (no browser): values are set
and buttons clicked as a person would, against the real backend of the test session."""

from __future__ import annotations

import importlib
import io
from typing import Any

import numpy as np
import pytest

from synapse_nb.errors import InputError
from synapse_nb.frameworks import get_framework, list_models
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.splits import RandomSplit, TagsSplit
from synapse_nb.tuning_registry import TuningRegistry
from synapse_nb.widgets import TrainWizard
from synapse_nb.widgets.wizard._data import class_stats
from synapse_nb.widgets.wizard.tuning import TuningEditor

ORDER = ["project", "model", "classes", "split", "hyperparameters", "benchmark", "export", "start"]


def statuses(wizard: TrainWizard) -> list[str]:
    return [card.status for card in wizard.steps]


def test_steps_unlock_in_order_and_reselect_locks_the_later_ones(drive: Any) -> None:
    d = drive()
    wizard = d.wizard
    assert [c.key for c in wizard.steps] == ORDER
    assert statuses(wizard) == ["active"] + ["locked"] * 7
    # A locked step can't be used: its controls and its Select button are disabled.
    assert wizard.step("model").select_button.disabled and wizard.step("model").pretrained.disabled
    assert wizard.step("split").percent.disabled and wizard.step("start").start_button.disabled
    assert wizard.step("model").confirm() is False
    assert wizard.state is None
    with pytest.raises(InputError, match="wizard.project"):
        wizard.build_state()

    # Select without a project: the error is shown under the step, which stays open.
    wizard.step("project").select_button.click()
    assert wizard.step("project").status == "active"
    assert "project_id" in wizard.step("project").message.value

    d.through("export")
    assert statuses(wizard) == ["done"] * 7 + ["active"]
    assert not wizard.step("start").start_button.disabled
    assert wizard.state is not None and wizard.state.project_id == d.project.id

    wizard.step("model").reselect_button.click()
    assert statuses(wizard) == ["done", "active"] + ["locked"] * 6
    assert wizard.state is None
    assert wizard.step("classes").checkboxes["square"].disabled  # re-locked controls
    d.model_step("YOLO/yolo11n-det")
    assert statuses(wizard)[:3] == ["done", "done", "active"]


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_project_step_shows_counts_thumbnails_and_cache(drive: Any, api: Any) -> None:
    d = drive()
    card = d.card("project")
    assert d.project.id in [value for _label, value in card.project.options]
    card.project.value = d.project.id
    assert "24 items" in card.info.value and "3 classes" in card.info.value and "2 datasets" in card.info.value
    items = api.item.all(d.project.id)
    datasets = api.dataset.list(d.project.id)
    # A few thumbnails of each dataset, annotations drawn in their classes' colours.
    assert len(card.thumbs.children) == 3 * len(datasets)
    from PIL import Image

    first_of_each = [next(i for i in items if i.dataset_id == ds.id) for ds in datasets]
    for thumb, item, ds in zip(card.thumbs.children[::3], first_of_each, datasets):
        image, caption = thumb.children
        assert ds.name in caption.value and f"{len(item.objects)} object" in caption.value
        drawn = Image.open(io.BytesIO(image.value)).convert("RGB")
        plain = Image.open(io.BytesIO(api.item.image_bytes(item))).convert("RGB").resize(drawn.size)
        assert drawn.size[0] == 96 and drawn.tobytes() != plain.tobytes()  # something was drawn on it
        colors = {_hex(c.color) for c in api.project.get(d.project.id).classes}
        assert colors & {tuple(px) for px in np.asarray(drawn).reshape(-1, 3).tolist()}  # in a class colour
    # Items per dataset, tag and collection.
    for ds in datasets:
        assert f"<td>{ds.name}</td><td>{ds.item_count}</td>" in card.groups.value
    n_train = sum("train" in i.tags for i in items)
    assert f"<td class='snb-muted'>tag</td><td>train</td><td>{n_train}</td>" in card.groups.value
    for c in api.collection.list(d.project.id):
        assert f"<td>{c.name}</td><td>{len(c.item_ids)}</td>" in card.groups.value
    card.cache.value = False
    d.select("project")
    assert "not cached" in card.summary_html.value
    assert card.fields() == {"project_id": d.project.id, "cache_project": False}


@pytest.fixture
def weights_here() -> Any:
    """yolov8x-seg's weights file placed in this session's weights folder (no training reads it here)."""
    from synapse_nb.weights import weights_dir

    target = weights_dir() / "yolov8x-seg.pt"
    placed = not target.exists()
    if placed:
        target.write_bytes(b"weights")
    yield target
    if placed:
        target.unlink(missing_ok=True)


def test_model_step_table_sorts_and_shows_scores_weights_and_the_registry(drive: Any, api: Any, tmp_path: Any,
                                                                          weights_here: Any) -> None:
    d = drive()
    d.project_step()
    card = d.card("model")
    table = card.pretrained
    refs = [value for _label, value in table.options]
    assert refs == [m.ref for m in list_models()]
    frame = table.frame
    assert frame.loc["YOLO/yolov8x-seg", "weights"] == "pretrained weights here"
    assert frame.loc["YOLO/yolo11n-det", "weights"] in ("can be pulled", "trains from scratch")
    assert frame.loc["YOLO/yolo11n-det", "COCO mAP50-95"] == 39.5 and frame.loc["YOLO/yolo11n-det", "params (M)"] == 2.62
    cells = [c.value for c in table._rows["YOLO/yolo11n-det"] if hasattr(c, "value") and isinstance(c.value, str)]
    assert any("39.5" in c for c in cells) and any("5.4" in c for c in cells)
    assert "docs.ultralytics.com/models/yolo11" in card.pretrained_box.children[1].value  # the source, named

    # Click the mAP header: best first; click again: worst first, models without a score last.
    header = next(b for b in table.header.children if b.description.startswith("COCO mAP50-95"))
    header.click()
    order = table.row_order()
    assert order[0] == "YOLO/rtdetr-x-det" and "▼" in header.description
    scores = [frame.loc[r, "COCO mAP50-95"] for r in order]
    published = [x for x in scores if x == x]
    assert published == sorted(published, reverse=True) and all(x != x for x in scores[len(published):])
    assert table.body.children[1] is table.pick_button("YOLO/rtdetr-x-det")  # the widgets follow the sort
    header.click()
    assert [frame.loc[r, "COCO mAP50-95"] for r in table.row_order()][0] == min(published)

    card.select_button.click()
    assert "model" in card.message.value  # nothing picked yet
    table.pick_button("YOLO/yolov8x-seg").click()
    assert table.value == "YOLO/yolov8x-seg" and "pretrained weights here" in card.details.value
    assert "snb-row--picked" in table.pick_button("YOLO/yolov8x-seg")._dom_classes
    table.pick_button("YOLO/yolo11n-det").click()
    assert "snb-row--picked" not in table.pick_button("YOLO/yolov8x-seg")._dom_classes
    assert "weights pull yolo11n-det" in card.details.value or "from random initial weights" in card.details.value

    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    from synapse_nb.schemas import ModelCreate

    record = api.model.create(ModelCreate(name="widgets-trained", framework="YOLO", model_name="yolov8n-det",
                                          project_id=d.project.id, task_id=None, weights="best.pt",
                                          metrics={"mAP": 0.456, "AP50": 0.789}), {"best.pt": weights})
    card.source.value = "Trained (model registry)"
    registry = card.registry
    assert record.id in [value for _label, value in registry.options]
    row = registry.frame.loc[record.id]
    assert row["experiment"] == "widgets-trained" and row["mAP"] == 0.456 and row["project"] == d.project.id
    texts = [c.value for c in registry._rows[record.id] if isinstance(getattr(c, "value", None), str)]
    assert any("0.456" in t for t in texts) and any("0.789" in t for t in texts)
    registry.pick_button(record.id).click()
    d.select("model")
    assert card.fields() == {"model": record.id}
    assert d.wizard.ctx.model.task_type == "object detection"


def test_classes_step_counts_objects_and_warns_about_shape_conversion(drive: Any, api: Any) -> None:
    d = drive()
    d.through("model", model="YOLO/yolov8n-det")
    card = d.card("classes")
    items = api.item.all(d.project.id)
    project = api.project.get(d.project.id)
    for stat in class_stats(project, items):
        label = card.checkboxes[stat.name].description
        assert f"{stat.objects} object" in label and stat.shape in label
    assert sum(s.objects for s in class_stats(project, items)) == sum(len(i.objects) for i in items)
    # Detection trains on boxes: the polygon classes will be converted, and the card says so.
    assert "triangle (polygon → rectangle)" in card.warning.value and "circle" in card.warning.value
    assert "square" not in card.warning.value

    card.convert.value = False
    assert "snb-error" in card.warning.value
    card.select_button.click()
    assert card.status == "active" and "convert_class_shapes" in card.message.value
    card.checkboxes["triangle"].value = False
    card.checkboxes["circle"].value = False
    assert card.warning.value == ""
    d.select("classes")
    assert card.fields() == {"classes": ["square"], "convert_class_shapes": False}

    card.reselect_button.click()
    card.none_button.click()
    card.select_button.click()
    assert "classes" in card.message.value and card.status == "active"

    # A segmentation model trains on polygons: now the rectangle class needs converting.
    card.all_button.click()
    d.card("model").reselect_button.click()
    d.model_step("YOLO/yolo11n-seg")
    assert "square (rectangle → polygon)" in d.card("classes").warning.value


def test_split_step_shows_live_counts_and_inline_errors(drive: Any, api: Any) -> None:
    d = drive()
    d.through("classes")
    card = d.card("split")
    items = api.item.all(d.project.id)

    def counts(split: Any) -> str:
        train, val = split.split(items)
        return f"Train: <b>{len(train)} items</b> · Val: <b>{len(val)} items</b>"

    assert counts(RandomSplit()) in card.counts.value
    card.percent.value = 50
    assert counts(RandomSplit(percent=50)) in card.counts.value
    card.side.value = "val"
    card.percent.value = 25
    assert counts(RandomSplit(percent=25, split="val")) in card.counts.value

    card.kind.value = "datasets"
    assert "snb-error" in card.counts.value and "train_datasets" in card.counts.value
    datasets = [value for _label, value in card.train_datasets.options]
    card.train_datasets.value = (datasets[0],)
    card.val_datasets.value = (datasets[0],)
    assert "leakage" in card.counts.value
    card.val_datasets.value = (datasets[1],)
    assert "Train: <b>12 items</b> · Val: <b>12 items</b>" in card.counts.value

    card.kind.value = "tags"
    card.val_tag.value = "vall"  # a misspelled tag is an error that lists the tags present
    assert "vall" in card.counts.value and "[&#x27;train&#x27;, &#x27;val&#x27;]" in card.counts.value
    assert "snb-error" in card.counts.value
    card.select_button.click()
    assert card.status == "active" and "val_tag" in card.message.value
    card.val_tag.value = "val"
    card.untagged.value = "ignore"
    assert counts(TagsSplit(untagged_action="ignore")) in card.counts.value
    assert "unused" in card.counts.value

    card.kind.value = "collections"
    collections = [value for _label, value in card.train_collections.options]
    card.train_collections.value = (collections[0],)
    card.val_collections.value = (collections[1],)
    assert "Train: <b>12 items</b> · Val: <b>12 items</b>" in card.counts.value
    d.select("split")
    assert card.fields()["train_val_split"].kind == "collections"


def test_split_step_shows_how_each_class_falls_on_each_side(drive: Any, api: Any) -> None:
    d = drive()
    d.through("model")
    d.card("classes").checkboxes["circle"].value = False  # the split shows the classes that train
    d.select("classes")
    card = d.card("split")
    items = api.item.all(d.project.id)

    def expected(split: Any) -> dict[str, dict[str, int]]:
        train, val = split.split(items)
        found = {name: {"train": 0, "val": 0} for name in ("square", "triangle")}
        for item in items:
            for obj in item.objects:
                for side, ids in (("train", train), ("val", val)):
                    if item.id in ids and obj.class_name in found:
                        found[obj.class_name][side] += 1
        return found

    assert card.class_counts.to_dict("index") == expected(RandomSplit())
    assert list(card.class_counts.columns) == ["train", "val"] and list(card.class_counts.index) == ["square", "triangle"]
    bars = {trace.name: list(trace.y) for trace in card.chart.data}
    assert bars == {side: [expected(RandomSplit())[c][side] for c in ("square", "triangle")] for side in ("train", "val")}
    assert "seed 0" in card.counts.value and "<th>train objects</th>" in card.class_table.value

    # The chart and the table follow the settings, and the seed is kept as typed.
    card.seed.value = 7
    card.percent.value = 60
    assert card.class_counts.to_dict("index") == expected(RandomSplit(percent=60, seed=7))
    assert [list(t.y) for t in card.chart.data] == [
        [expected(RandomSplit(percent=60, seed=7))[c][side] for c in ("square", "triangle")] for side in ("train", "val")]
    assert "seed 7" in card.counts.value

    # A tag split that leaves val with only the items tagged val, and no triangles there: warned.
    no_triangle_val = [i for i in items if "val" in i.tags and any(o.class_name == "triangle" for o in i.objects)]
    for item in no_triangle_val:
        api.item.set_annotation(item.id, [o for o in item.objects if o.class_name != "triangle"], tags=item.tags)
    try:
        wizard = TrainWizard(api)
        d2 = drive(wizard)
        d2.through("classes")
        split = d2.card("split")
        split.kind.value = "tags"
        assert split.class_counts.loc["triangle", "val"] == 0
        assert "triangle has no objects in val" in split.class_warnings.value
    finally:
        for item in no_triangle_val:
            api.item.set_annotation(item.id, item.objects, tags=item.tags)
    d.select("split")
    assert card.fields()["train_val_split"] == RandomSplit(percent=60, seed=7)


def test_split_step_shows_only_the_chosen_kinds_controls(drive: Any) -> None:
    d = drive()
    d.through("classes")
    card = d.card("split")
    own = {"random": [card.percent, card.side, card.seed], "datasets": [card.train_datasets, card.val_datasets],
           "tags": [card.train_tag, card.val_tag, card.untagged],
           "collections": [card.train_collections, card.val_collections]}
    for kind, controls in own.items():
        card.kind.value = kind
        for other, form in card.forms.items():
            assert (form.layout.display is None) == (other == kind), (kind, other)
            assert f"snb-split-{other}" in form._dom_classes
        # Each control lies inside its own kind's panel, nowhere else.
        for control in controls:
            assert control in _descendants(card.forms[kind])
            assert all(control not in _descendants(f) for k, f in card.forms.items() if k != kind)


def _descendants(box: Any) -> list[Any]:
    found, stack = [], [box]
    while stack:
        widget = stack.pop()
        found.append(widget)
        stack.extend(getattr(widget, "children", ()))
    return found


def test_yaml_editor_validates_as_the_user_types_with_line_numbers(drive: Any) -> None:
    d = drive()
    d.through("split")
    card = d.card("hyperparameters")
    defaults = get_framework("YOLO").default_hyperparameters()
    assert card.text.value == defaults
    assert "valid YAML" in card.text_status.value

    card.text.value = "epochs: 2\nimgsz: 64\nepoch: 3\n"
    assert "line 3: hyperparameters.epoch" in card.text_status.value and "Did you mean epochs" in card.text_status.value
    card.text.value = "epochs: 2\nimgsz: [64\n"
    assert "snb-error" in card.text_status.value and "line 3, column 1" in card.text_status.value
    card.text.value = "epochs: 2\nbatch: -7\n"
    assert "line 2: hyperparameters.batch" in card.text_status.value
    card.select_button.click()
    assert card.status == "active" and "line 2" in card.message.value

    # The framework's warnings are shown too, next to the editor.
    card.text.value = "epochs: 2\nlr0: 0.02\n"
    assert "valid YAML: 2 settings" in card.text_status.value and "optimizer" in card.text_status.value
    d.select("hyperparameters")
    assert card.fields()["hyperparameters"] == "epochs: 2\nlr0: 0.02\n"

    card.reselect_button.click()
    card.reset_button.click()
    assert card.text.value == defaults
    d.select("hyperparameters")
    assert card.fields()["hyperparameters"] is None  # untouched defaults = the framework's defaults


def test_hyperparameters_step_shows_defaults_meanings_and_what_changed(drive: Any) -> None:
    from ultralytics.cfg import DEFAULT_CFG_DICT

    d = drive()
    d.through("split")
    card = d.card("hyperparameters")
    # The untouched defaults: every row typed, none changed.
    assert not card.settings["changed"].any() and "0 settings differ" in card.settings_table.value

    card.text.value = "epochs: 3\nimgsz: 640\nmosaic: 0.5\n"
    table = card.settings.set_index("key")
    assert list(table.index) == ["epochs", "imgsz", "mosaic"]
    assert table.loc["epochs", "default"] == 100 and table.loc["mosaic", "default"] == DEFAULT_CFG_DICT["mosaic"]
    assert table["changed"].to_dict() == {"epochs": True, "imgsz": False, "mosaic": True}
    assert table.loc["epochs", "meaning"] == "number of epochs to train for"  # ultralytics' own words
    html_table = card.settings_table.value
    assert html_table.count('class="snb-changed"') == 2 and "2 settings differ" in html_table
    assert '<td class="snb-default">100</td>' in html_table and "number of epochs to train for" in html_table

    card.every_setting.value = True
    every = card.settings.set_index("key")
    assert {"lr0", "fliplr", "workers"} <= set(every.index) and "data" not in every.index
    assert not every.loc["lr0", "typed"] and every.loc["workers", "default"] == 0  # the shipped default
    card.text.value = "epochs: [3\n"  # invalid: the table waits for valid YAML
    assert "returns once the YAML is valid" in card.settings_table.value


def test_tuning_editor_checks_space_names_and_tune_config_live(drive: Any) -> None:
    d = drive()
    d.through("split")
    card = d.card("hyperparameters")
    card.text.value = "epochs: 2\nimgsz: 64\noptimizer: SGD\n"
    assert card.tuning.widget.layout.display == "none"
    card.tune.value = True
    editor = card.tuning
    assert editor.widget.layout.display is None
    names = [value for _label, value in editor.search_alg.options]
    assert names[0] is None and {"optunasearch", "hyperoptsearch", "basicvariantgenerator"} <= set(names)
    assert "asha" in [value for _label, value in editor.scheduler.options]
    assert "✓ 2 searched hyperparameters: lr0, optimizer" in editor.space_status.value
    assert "4 trials will run" in editor.status.value

    editor.space.value = "- {name: lr0, type: uniform, min: 0.001, max: 0.01}\n- {name: lrx, type: uniform, min: 1, max: 2}\n"
    assert "line 2: searched hyperparameters.lrx" in editor.status.value
    editor.space.value = "# lr\n- {name: lr0, type: uniform, min: 0.001, max: 0.01}\n- name: momentum\n  type: uniform\n  min: 0.9\n  max: 0.8\n"
    assert "line 3: hyperparameters[1] &#x27;momentum&#x27;: max" in editor.space_status.value
    card.select_button.click()
    assert card.status == "active" and "line 3" in card.message.value

    editor.space.value = "- {name: lr0, type: loguniform, min: 0.0001, max: 0.01, base: 10}\n- {name: batch, type: grid_search, options: [8, 16]}\n"
    editor.num_samples.value = 3
    assert "6 trials will run (3 samples × a grid of 2)" in editor.status.value
    assert "<td>batch</td><td>grid_search</td><td>8, 16</td><td>2 (grid)</td>" in editor.space_table.value
    assert "<td>lr0</td><td>loguniform</td><td>0.0001 – 0.01, base 10</td><td>sampled</td>" in editor.space_table.value
    editor.search_alg.value = "optunasearch"
    assert "grid_search runs only with basicvariantgenerator" in editor.status.value
    editor.search_alg.value = None
    editor.scheduler.value = "asha"
    editor.scheduler_options.value = "{max_epochs: 3}"
    assert "tune_config.scheduler.options" in editor.status.value and "max_epochs" in editor.status.value
    editor.scheduler_options.value = "{max_t: 2, grace_period: 1}"
    editor.metric.value = "mAP50"
    editor.max_concurrent.value = 2
    d.select("hyperparameters")
    fields = card.fields()
    assert fields["is_tune"] is True
    assert fields["search_space"] == SearchSpace.model_validate(
        [{"name": "lr0", "type": "loguniform", "min": 0.0001, "max": 0.01, "base": 10},
         {"name": "batch", "type": "grid_search", "options": [8, 16]}])
    assert fields["tune_config"] == TuneConfig(mode="max", metric="mAP50", num_samples=3, max_concurrent_trials=2,
                                               scheduler={"name": "asha", "options": {"max_t": 2, "grace_period": 1}})
    assert "6 trials" in card.summary_html.value


def test_unavailable_search_algorithm_is_listed_with_its_reason_and_refused() -> None:
    def without_optuna(name: str) -> Any:
        if name == "optuna":
            raise ModuleNotFoundError(name=name)
        return importlib.import_module(name)

    editor = TuningEditor(on_change=lambda: None, registry=TuningRegistry(importer=without_optuna))
    editor.load_registry()
    label = next(label for label, value in editor.search_alg.options if value == "optunasearch")
    assert "unavailable" in label and "pip install optuna" in label
    editor.search_alg.value = "optunasearch"
    with pytest.raises(InputError, match="tune_config.search_alg.name") as error:
        editor.tune_config()
    assert "optuna" in str(error.value)
    editor.search_alg.value = "hyperoptsearch"
    assert editor.tune_config().search_alg.name == "hyperoptsearch"


def test_speed_test_needs_the_benchmark_and_tensorrt_says_why_it_is_off(drive: Any) -> None:
    d = drive()
    d.through("hyperparameters")
    bench = d.card("benchmark")
    assert bench.enable.value and not bench.speedtest.disabled
    bench.speedtest.value = True
    bench.enable.value = False
    assert bench.speedtest.disabled and bench.speedtest.value is False
    bench.enable.value = True
    bench.speedtest.value = True
    d.select("benchmark")
    assert bench.fields() == {"enable_benchmark": True, "enable_speedtest": True}

    export = d.card("export")
    # No agent of this session has a GPU: TensorRT is off, with the reason shown.
    assert export.tensorrt.disabled and "TensorRT" in export.tensorrt_note.value
    export.onnx.value = True
    d.select("export")
    assert export.fields() == {"export_onnx": True, "export_tensorrt": False}
    assert "ONNX" in export.summary_html.value
