"""speed_test with a plain predictor callable: structure, batches, warm-up left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synapse_nb.benchmark.speed import SpeedReport, SpeedSample, speed_test
from synapse_nb.errors import InputError


class CountingPredictor:
    """Records every batch; warm-up calls report 1000 ms so counting them would show."""

    runtime = "onnxruntime"
    device = "cpu"

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.batches: list[list[np.ndarray]] = []

    def __call__(self, images: list[np.ndarray]) -> SpeedSample:
        self.batches.append(images)
        calls_at_this_size = sum(len(b) == len(images) for b in self.batches)
        slow = calls_at_this_size <= self.warmup
        inference = 1000.0 if slow else 2.0 * calls_at_this_size
        return SpeedSample(preprocess_ms=1.0, inference_ms=inference, postprocess_ms=0.5)


def _images(n: int) -> list[np.ndarray]:
    return [np.full((16, 16, 3), i, dtype=np.uint8) for i in range(n)]


def test_rows_per_batch_size_with_warmup_left_out():
    predictor = CountingPredictor(warmup=2)

    report = speed_test(predictor, _images(5), batch_sizes=(1, 8), warmup=2, runs=3)

    assert [len(b) for b in predictor.batches] == [1] * 5 + [8] * 5  # warm-up + runs per size
    assert [row.batch_size for row in report.rows] == [1, 8]
    for row in report.rows:
        # measured calls 3, 4, 5 report 6, 8, 10 ms: the median is 8, the 1000 ms warm-ups are gone
        assert (row.preprocess_ms, row.inference_ms, row.postprocess_ms) == (1.0, 8.0, 0.5)
        assert row.total_ms == 9.5
        assert row.fps == pytest.approx(1000 / 9.5, abs=0.05)
        assert (row.runtime, row.device) == ("onnxruntime", "cpu")
    assert (report.warmup, report.runs, report.num_images) == (2, 3, 5)


def test_defaults_are_the_reference_protocol():
    predictor = CountingPredictor(warmup=3)

    report = speed_test(predictor, _images(2))

    assert [row.batch_size for row in report.rows] == [1, 8, 16]
    assert (report.warmup, report.runs) == (3, 100)
    assert [row.measured_runs for row in report.rows] == [100, 100, 100]
    assert len(predictor.batches) == 3 * 103


class SlowPredictor(CountingPredictor):
    """Each call takes 20 ms of wall time."""

    def __call__(self, images: list[np.ndarray]) -> SpeedSample:
        import time

        time.sleep(0.02)
        return super().__call__(images)


def test_time_cap_stops_the_measured_runs_early():
    predictor = SlowPredictor(warmup=1)

    report = speed_test(predictor, _images(2), batch_sizes=(1, 2), warmup=1, runs=100, max_seconds=0.05)

    for row in report.rows:
        assert 1 <= row.measured_runs < 100  # a 20 ms call cannot be run 100 times in 50 ms
        assert row.inference_ms < 1000.0  # the warm-up call is still left out
    assert report.runs == 100  # what was asked stays on record


def test_batches_cycle_through_the_given_images_only():
    predictor = CountingPredictor(warmup=0)
    images = _images(3)

    speed_test(predictor, images, batch_sizes=(4,), warmup=0, runs=2)

    seen = [int(image[0, 0, 0]) for batch in predictor.batches for image in batch]
    assert seen == [0, 1, 2, 0, 1, 2, 0, 1]


def test_image_files_are_read_as_bgr(tmp_path: Path):
    path = tmp_path / "red.png"
    Image.new("RGB", (8, 6), (255, 0, 0)).save(path)
    got: list[np.ndarray] = []

    def predict(batch):
        got.extend(batch)
        return {"preprocess_ms": 0.0, "inference_ms": 1.0, "postprocess_ms": 0.0}

    speed_test(predict, [path], batch_sizes=(1,), warmup=0, runs=1)

    assert got[0].shape == (6, 8, 3)
    assert got[0][0, 0].tolist() == [0, 0, 255]


def test_labels_default_to_the_predictors_and_can_be_given():
    plain = speed_test(lambda b: SpeedSample(preprocess_ms=0, inference_ms=1, postprocess_ms=0), _images(1),
                       batch_sizes=(1,), warmup=0, runs=1)
    labelled = speed_test(lambda b: SpeedSample(preprocess_ms=0, inference_ms=1, postprocess_ms=0), _images(1),
                          batch_sizes=(1,), warmup=0, runs=1, device="cuda:0", runtime="onnxruntime")

    assert (plain.rows[0].device, plain.rows[0].runtime) == ("cpu", "pytorch")
    assert (labelled.rows[0].device, labelled.rows[0].runtime) == ("cuda:0", "onnxruntime")


def test_combined_report_holds_both_runtimes():
    a = speed_test(CountingPredictor(0), _images(2), batch_sizes=(1,), warmup=0, runs=1, runtime="pytorch")
    b = speed_test(CountingPredictor(0), _images(2), batch_sizes=(1,), warmup=0, runs=1)

    both = SpeedReport.combine([a, b])

    assert [r.runtime for r in both.rows] == ["pytorch", "onnxruntime"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"batch_sizes": ()}, "batch_sizes"),
        ({"batch_sizes": (0, 8)}, "batch_sizes"),
        ({"batch_sizes": (8, 8)}, "batch_sizes"),
        ({"warmup": -1}, "warmup"),
        ({"runs": 0}, "runs"),
        ({"images": []}, "images"),
        ({"images": [Path("/nonexistent/x.png")]}, "images"),
        ({"images": [np.zeros((4, 4))]}, "images[0]"),
        ({"runtime": "openvino"}, "runtime"),
        ({"max_seconds": 0}, "max_seconds"),
    ],
)
def test_bad_input_is_refused_before_any_call(kwargs, field):
    predictor = CountingPredictor(0)
    arguments = {"images": _images(2), **kwargs}

    with pytest.raises(InputError) as info:
        speed_test(predictor, **arguments)

    assert info.value.field == field
    assert predictor.batches == []


def test_predictor_returning_garbage_is_named():
    with pytest.raises(InputError) as info:
        speed_test(lambda batch: 3.5, _images(1), batch_sizes=(1,), warmup=0, runs=1)
    assert info.value.field == "predict"
