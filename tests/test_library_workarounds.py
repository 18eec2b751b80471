"""The two places where a library has no public hook for what we need; each test here fails
as soon as the library's behaviour changes, so the workaround is revisited then.

Everywhere else: public APIs only (``model.add_callback``, ``tune.report``); the source
scan below keeps it that way.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

import synapse_nb
from synapse_nb._ray_reports import observing_reports
from synapse_nb._ultralytics_defaults import added_to_new_models

PACKAGE = Path(synapse_nb.__file__).resolve().parent
WORKAROUNDS = {"_ultralytics_defaults.py": "default_callbacks", "_ray_reports.py": "_internal.session"}


@pytest.mark.parametrize(("module", "private"), sorted(WORKAROUNDS.items()))
def test_only_the_workaround_module_touches_the_private_part(module: str, private: str) -> None:
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if re.search(re.escape(private), p.read_text(encoding="utf-8")))
    assert users == [module]


def test_ultralytics_copies_its_default_callbacks_into_each_new_model() -> None:
    from synapse_nb._offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics import YOLO

    seen: list[Any] = []
    remove = added_to_new_models({"on_train_end": seen.append})
    try:
        during = YOLO("yolov8n.yaml")
    finally:
        remove()
    after = YOLO("yolov8n.yaml")
    ours = [fn for fn in during.callbacks["on_train_end"] if getattr(fn, "fn", None) == seen.append]
    assert len(ours) == 1, "a model built meanwhile got the callback from the default registry"
    ours[0]("trainer")
    assert seen == ["trainer"], "the model's copy is our callback itself, not a deep copy"
    assert not any(getattr(fn, "fn", None) == seen.append for fn in after.callbacks["on_train_end"])


@pytest.mark.slow
def test_ray_routes_tune_report_through_the_trial_session(tmp_path: Path) -> None:
    import ray
    from ray import tune

    def trainable(config: dict[str, Any]) -> None:
        observed: list[dict[str, Any]] = []
        with observing_reports(observed.append) as observing:
            tune.report({"score": 1.0})
            tune.report({"score": 2.0})
        tune.report({"score": 3.0, "observing": float(observing), "observed": float(len(observed))})

    temp = tempfile.mkdtemp(prefix="snb-ray-")  # short: Ray's socket paths must fit 107 bytes
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
    try:
        results = tune.Tuner(trainable, run_config=tune.RunConfig(storage_path=str(tmp_path / "runs")),
                             tune_config=tune.TuneConfig(num_samples=1)).fit()
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    result = results[0]
    assert result.error is None, result.error
    assert result.metrics["observing"] == 1.0, "inside a trial the session is found"
    assert result.metrics["observed"] == 2.0, "both reports reached the observer"
    assert list(result.metrics_dataframe["score"]) == [1.0, 2.0, 3.0], "and Ray still got every report"
