"""BenchmarkStep: evaluate the trained (and exported) model on the val split.

The action does the evaluation (COCO metrics with pycocotools; speed test on the val
images only); this step records the report for the experiment and the dashboard. An error
here fails the task: a run never reports success over a failed benchmark.

Example:
    >>> BenchmarkStep(speedtest=False).name
    'benchmark'
"""

from __future__ import annotations

__all__ = ["BenchmarkStep"]

from typing import Any

from synapse_nb.steps.base import BaseStep, StepResult


class BenchmarkStep(BaseStep[Any]):
    """Evaluate on the val split; optionally run the speed test."""

    name = "benchmark"
    progress_weight = 0.05
    progress_category = "benchmark"

    def __init__(self, speedtest: bool = False) -> None:
        self.speedtest = speedtest

    def execute(self, context: Any) -> StepResult:
        report = context.action.benchmark(context, self.speedtest)
        context.experiment["benchmark_report"] = report
        metrics = report.get("metrics") or {}
        context.experiment["evaluation_metrics"] = metrics
        context.experiment["primary_metric"] = report.get("primary_metric", "map")
        for key, value in metrics.items():
            if isinstance(value, (int, float)):
                context.run.log_metric("benchmark", key, float(value))
        return StepResult(data={"metrics": metrics})
