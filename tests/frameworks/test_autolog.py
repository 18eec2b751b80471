"""Autolog's pure parts: metric names, merging, non-finite values, and the final-call rule.

Real trainings (test_train.py) prove the same against ultralytics itself; here a minimal
stand-in for ultralytics' trainer drives the event sequence ultralytics documents.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.frameworks import MetricSink
from synapse_nb.frameworks.ultralytics_yolo import (
    SinkAutolog,
    attach_autolog,
    autolog_callbacks,
    epoch_metrics,
    readable_metric,
)
from synapse_nb.frameworks.ultralytics_yolo.autolog import finite_only

from fw_helpers import ListSink


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("metrics/precision(B)", ("val", "precision")),
        ("metrics/recall(B)", ("val", "recall")),
        ("metrics/mAP50(B)", ("val", "mAP50")),
        ("metrics/mAP50-95(B)", ("val", "mAP50-95")),
        ("metrics/mAP50(M)", ("val", "mask_mAP50")),
        ("metrics/mAP50-95(M)", ("val", "mask_mAP50-95")),
        ("metrics/precision(P)", ("val", "pose_precision")),
        ("metrics/accuracy_top1", ("val", "accuracy_top1")),
        ("val/seg_loss", ("val", "seg_loss")),
        ("train/kobj_loss", ("train", "kobj_loss")),
        ("lr/pg2", ("train", "lr/pg2")),
        ("fitness", ("val", "fitness")),
    ],
)
def test_ultralytics_names_become_readable_keys(name: str, expected: tuple[str, str]) -> None:
    assert readable_metric(name) == expected


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-", min_size=1, max_size=12)


@given(name=_word, suffix=st.sampled_from(["B", "M", "P", "X"]))
def test_box_and_mask_metrics_never_collide(name: str, suffix: str) -> None:
    category, key = readable_metric(f"metrics/{name}({suffix})")
    assert category == "val"
    assert key.endswith(name)
    if suffix != "B":
        assert key != readable_metric(f"metrics/{name}(B)")[1]


@given(losses=st.dictionaries(_word, st.floats(allow_nan=False, allow_infinity=False), max_size=6))
def test_every_loss_name_is_kept_whatever_their_number(losses: dict[str, float]) -> None:
    merged = epoch_metrics({f"train/{k}": v for k, v in losses.items()}, {f"val/{k}": v for k, v in losses.items()}, {})
    assert {k for k in merged if k.startswith("train/")} == {f"train/{k}" for k in losses}
    assert {k for k in merged if k.startswith("val/")} == {f"val/{k}" for k in losses}


@given(values=st.dictionaries(_word, st.floats()))
def test_finite_only_splits_without_losing_anything(values: dict[str, float]) -> None:
    kept, dropped = finite_only(values)
    assert set(kept) | set(dropped) == set(values) and not set(kept) & set(dropped)
    assert all(math.isfinite(v) for v in kept.values())


class StandInTrainer:
    """The attributes and event order of ultralytics' BaseTrainer that autolog reads."""

    def __init__(self, epochs: int, loss_names: tuple[str, ...]) -> None:
        self.epochs, self.loss_names = epochs, loss_names
        self.callbacks: dict[str, list[Any]] = {}
        self.epoch, self.tloss, self.metrics, self.lr = 0, None, None, {}

    def add_callback(self, event: str, fn: Any) -> None:
        self.callbacks.setdefault(event, []).append(fn)

    def label_loss_items(self, loss_items: dict[str, float], prefix: str = "train") -> dict[str, float]:
        return {f"{prefix}/{k}": float(v) for k, v in loss_items.items()}

    def fire(self, event: str) -> None:
        for fn in self.callbacks.get(event, []):
            fn(self)

    def run(self, losses: list[dict[str, float]]) -> None:
        for epoch in range(self.epochs):
            self.epoch = epoch
            self.tloss = losses[epoch]
            self.lr = {"lr/pg0": 0.01 / (epoch + 1)}
            self.fire("on_train_epoch_end")
            self.metrics = {"metrics/mAP50(B)": 0.1 * epoch, **{f"val/{k}": 1.0 for k in self.loss_names}}
            self.fire("on_fit_epoch_end")
        # final validation of best.pt: one more call, epoch one past the end, no val losses
        self.epoch = self.epochs
        self.metrics = {"metrics/mAP50(B)": 0.9}
        self.fire("on_fit_epoch_end")


def test_one_call_per_epoch_and_none_for_the_final_validation() -> None:
    trainer, sink = StandInTrainer(3, ("box_loss", "cls_loss")), ListSink()
    attach_autolog(trainer, sink, total_epochs=3)
    trainer.run([{"box_loss": 1.0, "cls_loss": 2.0}] * 3)
    assert sink.epochs() == [0, 1, 2]
    assert sink.progress == [(1, 3, "train"), (2, 3, "train"), (3, 3, "train")]
    assert 0.9 not in [v for *_, v, _ in sink.metrics]


def test_non_finite_values_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    trainer, sink = StandInTrainer(1, ("box_loss", "cls_loss")), ListSink()
    attach_autolog(trainer, sink, total_epochs=1)
    trainer.run([{"box_loss": float("nan"), "cls_loss": float("inf")}])
    assert sink.keys("train") == {"lr/pg0"}
    assert "non-finite" in caplog.text and "train/box_loss" in caplog.text


def test_the_sink_protocol_and_total_epochs_are_checked() -> None:
    assert isinstance(ListSink(), MetricSink)
    assert not isinstance(SimpleNamespace(), MetricSink)
    with pytest.raises(ValueError, match="total_epochs"):
        SinkAutolog(ListSink(), 0)


def test_autolog_callbacks_fit_any_registry_and_take_the_trainers_epoch_count() -> None:
    trainer, sink = StandInTrainer(2, ("box_loss",)), ListSink()
    for event, function in autolog_callbacks(sink).items():  # e.g. ultralytics' default callbacks
        trainer.add_callback(event, function)
    trainer.run([{"box_loss": 1.0}] * 2)
    assert sink.progress == [(1, 2, "train"), (2, 2, "train")]
    assert sink.epochs() == [0, 1]
