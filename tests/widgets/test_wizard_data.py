"""The wizard's pure helpers: editor parsing with line numbers, class statistics, shape checks,
how a split divides each class, and the model table."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb._yaml import dump_hyperparameters
from synapse_nb.errors import InputError
from synapse_nb.frameworks import list_models
from synapse_nb.schemas import ClassMeta, Item, LabelObject, Project, Rectangle
from synapse_nb.search_space import SearchSpace
from synapse_nb.splits import RandomSplit
from synapse_nb.widgets._common import error_text, kv_html, message_html
from synapse_nb.widgets.wizard._data import (
    ClassStat,
    class_stats,
    entry_line,
    key_line,
    parse_options,
    parse_search_space,
    sample_values,
    search_space_text,
    shape_conversions,
)
from synapse_nb.widgets.wizard._model_data import WEIGHTS_WORDS, model_frame
from synapse_nb.widgets.wizard._split_data import split_class_counts, split_warnings

NAMES = st.sampled_from(["lr0", "lrf", "momentum", "weight_decay", "batch", "optimizer", "imgsz", "mosaic"])
NOW = dt.datetime.now(dt.timezone.utc)


@st.composite
def params(draw: st.DrawFn, name: str) -> dict:
    kind = draw(st.sampled_from(["uniform", "loguniform", "randint", "choice", "grid_search"]))
    if kind == "uniform":
        low = draw(st.floats(-100, 100, allow_nan=False))
        return {"name": name, "type": kind, "min": low, "max": low + draw(st.floats(0.001, 100))}
    if kind == "loguniform":
        low = draw(st.floats(1e-6, 1.0))
        return {"name": name, "type": kind, "min": low, "max": low * draw(st.floats(1.5, 1e4)), "base": 10}
    if kind == "randint":
        low = draw(st.integers(-50, 50))
        return {"name": name, "type": kind, "min": low, "max": low + draw(st.integers(2, 100))}
    options = draw(st.lists(st.one_of(st.integers(-5, 5), st.sampled_from(["SGD", "Adam", "yes", "null"]), st.booleans()),
                            min_size=1, max_size=4, unique_by=lambda v: (type(v), v)))
    return {"name": name, "type": kind, "options": options}


@st.composite
def spaces(draw: st.DrawFn) -> SearchSpace:
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    return SearchSpace.model_validate([draw(params(n)) for n in names])


@given(spaces())
def test_search_space_text_reads_back_equal(space: SearchSpace) -> None:
    text = search_space_text(space)
    assert parse_search_space(text) == space
    for index, name in enumerate(space.names):
        line = entry_line(text, name)
        assert line is not None and f"name: {name}" in text.splitlines()[line - 1]
    assert set(sample_values(space)) == set(space.names)


def test_search_space_errors_say_the_line_of_the_entry() -> None:
    text = "# searched\n- {name: lr0, type: uniform, min: 0.001, max: 0.01}\n\n- name: mosaic\n  type: uniform\n  min: 1\n  max: 0.5\n"
    with pytest.raises(InputError) as error:
        parse_search_space(text)
    assert error.value.field == "line 4: hyperparameters[1] 'mosaic': max"
    with pytest.raises(InputError, match="line 2, column"):
        parse_search_space("- {name: lr0\n- x")
    with pytest.raises(InputError, match="a list of entries"):
        parse_search_space("name: lr0")
    with pytest.raises(InputError, match="at least one"):
        parse_search_space("   ")


@given(st.dictionaries(NAMES, st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans()), min_size=1))
def test_key_line_points_at_the_key(values: dict) -> None:
    text = "# header\n" + dump_hyperparameters(values)
    lines = text.splitlines()
    for key in values:
        assert lines[key_line(text, key) - 1].startswith(f"{key}:")


def test_options_parse_as_a_mapping_only() -> None:
    assert parse_options("", "x") == {} and parse_options("{max_t: 3}", "x") == {"max_t": 3}
    with pytest.raises(InputError, match="x: expected a mapping"):
        parse_options("[1]", "x")
    with pytest.raises(InputError, match="valid YAML"):
        parse_options("{max_t: ", "x")


def _item(item_id: int, classes: list[str]) -> Item:
    objects = [LabelObject(class_name=c, geometry=Rectangle(x1=0, y1=0, x2=2, y2=2)) for c in classes]
    return Item(id=item_id, project_id=1, dataset_id=1, name=f"{item_id}.png", image_hash="0" * 64, width=4, height=4,
                objects=objects)


@given(st.lists(st.lists(st.sampled_from(["cat", "dog", "owl"]), max_size=5), max_size=12))
def test_class_stats_count_objects_and_items(per_item: list[list[str]]) -> None:
    project = Project(id=1, name="p", classes=[ClassMeta(name="cat"), ClassMeta(name="dog", shape="polygon"),
                                               ClassMeta(name="owl", shape="bitmap")], created_at=NOW, updated_at=NOW)
    stats = class_stats(project, [_item(i, c) for i, c in enumerate(per_item)])
    assert [s.name for s in stats] == ["cat", "dog", "owl"]
    for stat in stats:
        assert stat.objects == sum(c.count(stat.name) for c in per_item)
        assert stat.items == sum(1 for c in per_item if stat.name in c)


@given(st.lists(st.sampled_from(["rectangle", "polygon", "bitmap"]), min_size=1, max_size=6),
       st.sampled_from(["object detection", "instance segmentation"]))
def test_shape_conversions_are_the_selected_classes_of_another_shape(shapes: list[str], task: str) -> None:
    stats = [ClassStat(name=f"c{i}", shape=s, objects=1, items=1) for i, s in enumerate(shapes)]
    selected = [s.name for s in stats[::2]]
    changes = shape_conversions(stats, selected, task)
    fits = {"object detection": {"rectangle"}, "instance segmentation": {"polygon", "bitmap"}}[task]
    assert [c[0] for c in changes] == [s.name for s in stats if s.name in selected and s.shape not in fits]
    assert all(target in fits for _name, _shape, target in changes)


def test_messages_and_errors_are_escaped_text() -> None:
    assert message_html("error", "<b>x</b>") == '<div class="snb-error">&lt;b&gt;x&lt;/b&gt;</div>'
    assert kv_html([("a", None), ("b", "")]) == ""
    from pydantic import BaseModel

    class M(BaseModel):
        n: int

    with pytest.raises(ValueError) as error:
        M.model_validate({"n": "x"})
    assert error_text(error.value).startswith("n: Input should be a valid integer")


# -- the choosing helpers: split per class, model table, settings table ----------------------



def _items(classes_per_item: list[list[str]]) -> list[Item]:
    return [Item(id=index + 1, project_id=1, dataset_id=1 + index % 2, name=f"{index}.png", image_hash="0" * 64,
                 width=32, height=32,
                 objects=[LabelObject(class_name=c, geometry=Rectangle(x1=0, y1=0, x2=4, y2=4)) for c in names])
            for index, names in enumerate(classes_per_item)]


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c"]), max_size=4), min_size=2, max_size=30),
       st.integers(1, 99), st.integers(0, 5))
def test_class_counts_add_up_to_the_objects_on_each_side(layout: list[list[str]], percent: int, seed: int) -> None:
    items = _items(layout)
    train, val = RandomSplit(percent=percent, seed=seed).split(items)
    counts = split_class_counts(items, train, val, ["a", "b", "c"])
    for side, ids in (("train", set(train)), ("val", set(val))):
        assert int(counts[side].sum()) == sum(len(i.objects) for i in items if i.id in ids)
        for name in ("a", "b", "c"):
            assert counts.loc[name, side] == sum(o.class_name == name for i in items if i.id in ids for o in i.objects)
    # A class present on one side only is always named in the warnings.
    for name, row in counts.iterrows():
        if (row["train"] == 0) != (row["val"] == 0):
            missing = "train" if row["train"] == 0 else "val"
            assert f"{name} has no objects in {missing}" in split_warnings(counts)


def test_a_class_left_out_is_not_counted_and_share_gaps_are_warned_past_the_limit() -> None:
    items = _items([["a", "b"], ["a", "b"], ["a", "c"], ["a", "b"]])
    counts = split_class_counts(items, [1, 2], [3, 4], ["a", "b"])
    assert counts.to_dict("index") == {"a": {"train": 2, "val": 2}, "b": {"train": 2, "val": 1}}
    assert split_warnings(counts)[1] == "b is 50% of the train objects but 33% of the val objects (more than 15 points apart)"
    assert split_warnings(counts, max_share_gap=0.2) == []


def test_the_model_table_says_where_every_models_weights_stand() -> None:
    models = list_models()
    frame = model_frame(models)
    assert list(frame.index) == [m.ref for m in models]
    for m in models:
        assert frame.loc[m.ref, "weights"] == WEIGHTS_WORDS[m.weights_status]
        published = frame.loc[m.ref, "COCO mAP50-95"]
        assert (published != published) if m.published_map is None else published == m.published_map
    # Every YOLOv8, YOLO11 and RT-DETR model has its published score and a source for it.
    for m in models:
        if m.name.startswith(("yolov8", "yolo11", "rtdetr")):
            assert m.published_map is not None and m.published_source.startswith("https://docs.ultralytics.com/")
    # Bigger models of one family score higher: a check the table was typed in the right rows.
    for family in ("yolov8", "yolo11"):
        for suffix in ("det", "seg"):
            scores = [frame.loc[f"YOLO/{family}{size}-{suffix}", "COCO mAP50-95"] for size in "nsmlx"]
            assert scores == sorted(scores)
