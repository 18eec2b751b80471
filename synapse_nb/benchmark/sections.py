"""The report's matching sections as data: what :mod:`.analysis` computes and the JSON keeps.

Pydantic models, so a report read back from JSON is validated field by field. See
:mod:`.analysis` for how each is derived from COCO's matching at IoU 0.50.

Example:
    >>> OutcomeCounts(tp=3, fp=1, fn=1).precision
    0.75
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "Calibration", "CalibrationBin", "ClassOutcome", "ConfidenceProfile", "ConfusedPair", "ConfusionMatrix",
    "Histogram", "ImageObject", "ImageRow", "Localization", "OutcomeCounts", "Outcomes",
]


class OutcomeCounts(BaseModel):
    """True positives, false positives and false negatives, and the precision/recall they give."""

    tp: int = Field(ge=0)
    fp: int = Field(ge=0)
    fn: int = Field(ge=0)

    @property
    def precision(self) -> float | None:
        """TP / (TP + FP); None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """TP / (TP + FN); None when there is no object."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


class ClassOutcome(OutcomeCounts):
    class_name: str
    category_id: int


class Outcomes(BaseModel):
    """Outcome counts at ``confidence`` (the F1-optimal one), IoU 0.50, overall and per class."""

    confidence: float = Field(description="detections scoring at least this much are kept")
    iou_threshold: float = 0.5
    overall: OutcomeCounts
    per_class: list[ClassOutcome]


class ConfusedPair(BaseModel):
    actual: str = Field(description="the ground-truth class")
    predicted: str
    count: int = Field(ge=1)


class ConfusionMatrix(BaseModel):
    """``counts[i][j]``: objects of ground-truth class ``classes[i]`` predicted as ``classes[j]``.

    The last class is the background: its row holds false positives on no object, its column
    the missed objects. Every row sums to that class's objects, every column (but the last)
    to that class's kept detections.
    """

    classes: list[str]
    counts: list[list[int]]
    most_confused: list[ConfusedPair] = Field(default_factory=list)
    classification_accuracy: float | None = Field(
        default=None, description="of the detections lying on an object, the share with its class; None if none")


class Histogram(BaseModel):
    """Counts per bin; ``edges`` has one more entry than ``counts``."""

    edges: list[float]
    counts: list[int]


class Localization(BaseModel):
    """How well the true positives' boxes (or masks) fit: their IoU with the object."""

    mean_iou: float | None = Field(description="mean IoU of the true positives; None without any")
    histogram: Histogram


class CalibrationBin(BaseModel):
    lower: float
    upper: float
    count: int = Field(ge=0)
    mean_confidence: float | None = None
    accuracy: float | None = Field(default=None, description="share of true positives in the bin")


class Calibration(BaseModel):
    """Does a confidence of 0.8 mean 80 % of such detections are right? Over every detection.

    ``ece`` weighs each bin's |accuracy - confidence| by its share of detections; ``mce`` is
    the largest gap. Both None when there is no detection.
    """

    ece: float | None
    mce: float | None
    bins: list[CalibrationBin]


class ConfidenceProfile(BaseModel):
    """Precision, recall and F1 if every detection below ``thresholds[i]`` is dropped.

    Precision is None at thresholds that keep no detection. ``optimum`` is the F1-optimal
    confidence (None without a true positive); the histograms are of TP and FP confidences.
    """

    thresholds: list[float]
    precision: list[float | None]
    recall: list[float]
    f1: list[float]
    optimum: float | None
    tp_confidence: Histogram
    fp_confidence: Histogram


class ImageObject(BaseModel):
    """One object or detection on an image and what happened to it, for the gallery.

    ``outcome``: 'tp' (right class, IoU >= 0.5), 'misclassified' (lies on an object of
    another class), 'fp' (on nothing), 'fn' (an object nothing was kept for).
    """

    outcome: str
    gt_class: str | None = None
    predicted_class: str | None = None
    score: float | None = None
    iou: float | None = None
    gt_id: int | None = None
    det_id: int | None = None
    gt_bbox: list[float] | None = Field(default=None, description="the object's box [x, y, w, h]")
    det_bbox: list[float] | None = Field(default=None, description="the detection's box [x, y, w, h]")


class ImageRow(BaseModel):
    """One image of the split at the F1-optimal confidence."""

    image_id: Any
    file_name: str | None = None
    tp: int = Field(ge=0)
    fp: int = Field(ge=0)
    fn: int = Field(ge=0)
    precision: float | None = None
    recall: float | None = None
    objects: list[ImageObject] = Field(default_factory=list)
