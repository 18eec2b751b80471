"""Picking a model by "Framework/name": resolution, the misspelled-model error, plugins."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from synapse_nb import frameworks
from synapse_nb.errors import InputError
from synapse_nb.frameworks import (
    ENTRY_POINT_GROUP,
    Framework,
    FrameworkLoadError,
    FrameworkRegistry,
    ModelInfo,
)
from synapse_nb.frameworks.ultralytics_yolo import framework as yolo

REPO = Path(__file__).resolve().parents[2]
ALL_YOLO = [
    f"{family}{size}-{task}" for family in ("yolov8", "yolo11", "yolo26") for task in ("det", "seg") for size in "nsmlx"
] + ["rtdetr-l-det", "rtdetr-x-det"]


def toy_framework(name: str = "Toy") -> Framework:
    model = ModelInfo(framework=name, name="toy-det", task_type="object detection", config="toy.yaml",
                      weights="toy.pt", params_m=1.0, size_mb=2.0)
    return Framework(name=name, task_types=("object detection",), models=(model,), train_action="toy_plugin:Action")


def test_a_user_picks_a_model_in_any_case() -> None:
    info = frameworks.resolve_model("yolo/YOLO11N-Det")
    assert (info.ref, info.config, info.weights, info.task_type, info.task) == (
        "YOLO/yolo11n-det", "yolo11n.yaml", "yolo11n.pt", "object detection", "detect")
    assert frameworks.resolve_model(" YOLO/yolo11n-seg ").task == "segment"


def test_the_builtin_framework_lists_every_model() -> None:
    assert [m.name for m in frameworks.get_framework("YOLO").models] == ALL_YOLO
    assert [m.name for m in frameworks.list_models("instance segmentation")] == [n for n in ALL_YOLO if n.endswith("-seg")]
    assert len(frameworks.list_models("object detection")) == 17
    assert frameworks.get_framework("yolo").train_action == "synapse_nb.frameworks.ultralytics_yolo.action:YoloTrainAction"
    assert frameworks.get_framework("yolo").default_model == "yolo11n-det"


def test_a_misspelled_model_is_refused_with_the_models_and_closest_matches() -> None:
    with pytest.raises(InputError) as caught:
        frameworks.resolve_model("YOLO/yolo11n-dett")
    err = caught.value
    assert err.field == "model"
    message = str(err)
    assert "Did you mean YOLO/yolo11n-det" in message
    for name in ALL_YOLO:  # every available model is listed
        assert f"YOLO/{name}" in message


@pytest.mark.parametrize("ref", ["YOLOX/yolo11n-det", "yolo11n-dt", "resnet50", "YOLO/", "", "  "])
def test_unknown_models_and_frameworks_are_input_errors_on_model(ref: str) -> None:
    with pytest.raises(InputError) as caught:
        frameworks.resolve_model(ref)
    assert caught.value.field == "model"


def test_a_bare_model_name_resolves_when_unambiguous() -> None:
    assert frameworks.resolve_model("YOLOV8N-SEG").ref == "YOLO/yolov8n-seg"
    with pytest.raises(InputError, match="Did you mean YOLO/yolo11n-det"):
        frameworks.resolve_model("yolo11n-dt")


def test_a_bare_name_in_two_frameworks_is_ambiguous() -> None:
    twin = Framework(name="Twin", task_types=("object detection",), train_action="twin:Action",
                     models=(yolo.get_model("yolo11n-det").model_copy(update={"framework": "Twin"}),))
    registry = FrameworkRegistry([yolo, twin])
    with pytest.raises(InputError, match="YOLO/yolo11n-det, Twin/yolo11n-det"):
        registry.resolve_model("yolo11n-det")
    assert registry.resolve_model("twin/yolo11n-det").framework == "Twin"


def test_unknown_framework_and_task_type_name_the_field() -> None:
    with pytest.raises(InputError) as caught:
        frameworks.get_framework("YOLOv")
    assert caught.value.field == "framework" and "Did you mean YOLO" in str(caught.value)
    with pytest.raises(InputError) as caught:
        frameworks.list_models("pose estimation")
    assert caught.value.field == "task_type"


def test_registering_a_second_framework_of_the_same_name_needs_replace() -> None:
    registry = FrameworkRegistry([toy_framework()])
    with pytest.raises(InputError, match="replace=True"):
        registry.register(toy_framework("toy"))
    replacement = toy_framework("toy")
    assert registry.register(replacement, replace=True) is registry.get("TOY")
    with pytest.raises(InputError):
        registry.register("not a framework")  # type: ignore[arg-type]


def test_a_framework_rejects_models_that_do_not_belong_to_it() -> None:
    model = toy_framework().models[0]
    with pytest.raises(ValueError, match="names framework"):
        Framework(name="Other", task_types=("object detection",), models=(model,), train_action="a:B")
    with pytest.raises(ValueError, match="appears twice"):
        Framework(name="Toy", task_types=("object detection",), models=(model, model), train_action="a:B")
    with pytest.raises(ValueError, match="task type"):
        Framework(name="Toy", task_types=("instance segmentation",), models=(model,), train_action="a:B")
    with pytest.raises(ValueError, match="train_action"):
        Framework(name="Toy", task_types=("object detection",), models=(model,), train_action="no colon")


def test_load_train_action_imports_the_named_class() -> None:
    fw = toy_framework().model_copy(update={"train_action": "collections:OrderedDict"})
    from collections import OrderedDict

    assert fw.load_train_action() is OrderedDict
    with pytest.raises(ImportError, match="no class"):
        fw.model_copy(update={"train_action": "collections:Nope"}).load_train_action()


def test_the_default_registry_is_built_once() -> None:
    assert frameworks.default_registry() is frameworks.default_registry()
    assert frameworks.list_frameworks()[0] is yolo


# --- entry points ---------------------------------------------------------------------


def test_pyproject_declares_the_builtin_entry_point_with_a_valid_target() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert declared == {"YOLO": "synapse_nb.frameworks.ultralytics_yolo:framework"}
    entry_point = importlib.metadata.EntryPoint(name="YOLO", value=declared["YOLO"], group=ENTRY_POINT_GROUP)
    assert entry_point.load() is yolo


def test_the_installed_package_exposes_its_entry_point() -> None:
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert found.get("YOLO") == "synapse_nb.frameworks.ultralytics_yolo:framework", (
        "synapse_nb is not installed in this environment (pip install -e .): its entry point is invisible"
    )


def _install_plugin(root: Path, module: str, source: str, entry_points: str) -> None:
    """A real installed distribution, as pip lays it out: a module plus a .dist-info folder."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("snbtest_")]:
        del sys.modules[name]


def test_discovery_finds_a_third_party_plugin_through_its_entry_point(plugin_dir: Path) -> None:
    _install_plugin(
        plugin_dir,
        "snbtest_toy",
        """
        from synapse_nb.frameworks import Framework, ModelInfo

        def make():
            model = ModelInfo(framework="Toy", name="toy-seg", task_type="instance segmentation",
                              config="toy.yaml", weights="toy.pt", params_m=1.0, size_mb=2.0)
            return Framework(name="Toy", task_types=("instance segmentation",), models=(model,),
                             train_action="snbtest_toy:Action")
        """,
        """
        [synapse_nb.frameworks]
        Toy = snbtest_toy:make
        """,
    )
    registry = FrameworkRegistry.discover()
    assert registry.names()[0] == "YOLO"
    assert "Toy" in registry.names()
    assert registry.resolve_model("toy/TOY-SEG").ref == "Toy/toy-seg"
    assert [m.ref for m in registry.list_models("instance segmentation")][-1] == "Toy/toy-seg"


def test_a_broken_plugin_does_not_hide_the_others_and_explains_itself(plugin_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    _install_plugin(
        plugin_dir,
        "snbtest_broken",
        "raise ImportError('needs the package fancy-net')\n",
        """
        [synapse_nb.frameworks]
        Fancy = snbtest_broken:framework
        Impostor = synapse_nb.frameworks._model_info:ModelInfo
        """,
    )
    registry = FrameworkRegistry.discover()
    assert "YOLO" in registry.names()
    assert "fancy-net" in caplog.text
    with pytest.raises(FrameworkLoadError, match="fancy-net"):
        registry.get("fancy")
    with pytest.raises(FrameworkLoadError, match="fancy-net"):
        registry.resolve_model("Fancy/anything")
    assert "Impostor" not in registry.names() and "impostor" in registry.load_errors


def test_the_default_framework_is_the_builtin_one() -> None:
    assert frameworks.default_framework_name() == "YOLO"


def test_a_base_model_becomes_a_checkpoint_folder_without_a_download(tmp_path: Path, no_network: list[object]) -> None:
    info = frameworks.resolve_model("YOLO/yolov8n-det")
    weights, notice = yolo.materialize_base_checkpoint(info, tmp_path / "base")
    assert weights == tmp_path / "base" / "best.pt" and weights.is_file()
    assert notice is not None and "training from scratch from yolov8n.yaml" in notice
    assert no_network == []


@pytest.mark.parametrize(
    ("model", "expected"),
    [("YOLO/yolo11n-seg", "instance segmentation"), ("yolo/YOLOV8N-DET", "object detection"),
     ("yolo26s-det", "object detection"), ("Other/yolo11n-det", None), ("/runs/a/best.pt", None), (7, None)],
)
def test_the_task_type_of_a_model_reference(model: object, expected: str | None) -> None:
    assert yolo.task_type_of(model) == expected
