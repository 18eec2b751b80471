"""Pipeline progress: normalised over the steps present, on one scale with a plugin's own steps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_nb.actions.train.pipeline import DEFAULT_WEIGHTS
from synapse_nb.steps import BaseStep, ConvertDatasetStep, ExportDatasetStep, StepRegistry, StepResult
from synapse_nb.steps.benchmark import BenchmarkStep
from synapse_nb.steps.export_model import ExportModelStep
from synapse_nb.steps.orchestrator import pipeline_progress, run_steps
from synapse_nb.steps.progress import PipelineProgress
from synapse_nb.steps.train import TrainStep
from synapse_nb.steps.upload import UploadModelStep

Report = tuple[str, float, float, float]


class Preprocess(BaseStep[dict]):
    """A plugin's step as the Synapse SDK documents it: weight 0.1 means 10 % of the bar."""

    @property
    def name(self) -> str:
        return "preprocess"

    @property
    def progress_weight(self) -> float:
        return 0.1

    def execute(self, context: dict) -> StepResult:
        return StepResult()


def test_built_in_steps_carry_the_documented_weights() -> None:
    steps = [ExportDatasetStep(), ConvertDatasetStep("yolo"), TrainStep(), ExportModelStep(["onnx"]),
             BenchmarkStep(), UploadModelStep()]
    assert [(s.name, s.category, s.progress_weight) for s in steps] == DEFAULT_WEIGHTS
    # The Synapse proportions: export 20 %, convert 0 %, train 75 %, upload 5 %.
    synapse = [ExportDatasetStep(), ConvertDatasetStep("yolo"), TrainStep(), UploadModelStep()]
    assert sum(s.progress_weight for s in synapse) == 1.0


def test_a_plugin_step_of_weight_0_1_takes_its_share_next_to_built_in_steps() -> None:
    reports: list[Report] = []
    registry: StepRegistry[dict] = StepRegistry()
    for step in (ExportDatasetStep(), Preprocess(), ConvertDatasetStep("yolo")):
        registry.register(step)
    progress = pipeline_progress(registry, lambda *r: reports.append(r))
    progress.finish("export_dataset")
    progress.start("preprocess")
    progress.finish("preprocess")
    # 0.2 and 0.1 of 0.3 in all: the custom step is a third of this pipeline, not 0.3 % of it.
    assert round(reports[-1][3], 6) == 1.0
    assert round(reports[0][3], 6) == round(0.2 / 0.3, 6)


def test_a_pipeline_without_upload_still_ends_at_100_percent() -> None:
    reports: list[Report] = []
    registry: StepRegistry[dict] = StepRegistry()
    for step in (Preprocess(),):
        registry.register(step)

    class Train(BaseStep[dict]):
        name, progress_weight, progress_category = "train", 0.75, "train"

        def execute(self, context: dict) -> StepResult:
            return StepResult()

    registry.register(Train())
    progress = pipeline_progress(registry, lambda *r: reports.append(r))
    run_steps(registry, {}, progress)
    assert reports[-1] == ("train", 100.0, 100.0, 1.0)
    assert progress.overall() == 1.0


steps_strategy = st.lists(
    st.tuples(st.sampled_from(["dataset", "train", "benchmark", "model_upload"]),
              st.floats(min_value=0, max_value=100, allow_nan=False)),
    min_size=1, max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps_strategy, updates=st.integers(min_value=1, max_value=5))
def test_progress_only_grows_and_ends_at_100_percent(steps: list[tuple[str, float]], updates: int) -> None:
    reports: list[Report] = []
    named = [(f"step{i}", category, weight) for i, (category, weight) in enumerate(steps)]
    progress = PipelineProgress(named, lambda *r: reports.append(r))
    for name, _, _ in named:
        progress.start(name)
        for k in range(1, updates + 1):
            progress.update(k, updates)
        progress.finish(name)
    overall = [r[3] for r in reports]
    assert all(b >= a - 1e-12 for a, b in zip(overall, overall[1:])), "overall progress never goes back"
    assert overall[-1] == 1.0, "a finished pipeline reports exactly 100 %"
    assert all(0.0 <= o <= 1.0 for o in overall)
    for category in {c for _, c, _ in named}:
        assert progress.category_fraction(category) == 1.0
        last = [r for r in reports if r[0] == category][-1]
        assert last[1] == last[2] == 100.0


@settings(max_examples=100, deadline=None)
@given(steps=steps_strategy)
def test_overall_progress_is_the_normalised_weight_of_finished_steps(steps: list[tuple[str, float]]) -> None:
    named = [(f"step{i}", category, weight) for i, (category, weight) in enumerate(steps)]
    progress = PipelineProgress(named, lambda *r: None)
    total = sum(w for _, _, w in named)
    done = 0.0
    for index, (name, _, weight) in enumerate(named):
        progress.finish(name)
        done += weight
        expected = done / total if total > 0 else (index + 1) / len(named)
        assert abs(progress.overall() - min(1.0, expected)) < 1e-9
