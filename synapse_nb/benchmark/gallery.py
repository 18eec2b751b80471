"""Ground truth and predictions drawn on the val images, coloured by what happened to them.

Green: a true positive (the object's box thin, the detection's thick); red: a false
positive on nothing; magenta: a misclassified detection, labelled "actual → predicted";
orange, dashed look (thin): a missed object. Pure PIL, so the notebook gallery and the
offline HTML report (thumbnails of the worst images, embedded as PNG data) draw the same.

Example:
    >>> thumbs = worst_thumbnails(report.evaluation["pytorch"], "val/images", count=6)  # doctest: +SKIP
    >>> thumbs[0].caption  # doctest: +SKIP
    '3.png: TP 0, FP 1, FN 2'
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synapse_nb.benchmark.analysis import ImageObject, ImageRow
from synapse_nb.errors import InputError

__all__ = ["OUTCOME_COLORS", "Thumbnail", "draw_image", "image_rows", "worst_thumbnails"]

OUTCOME_COLORS = {"tp": (44, 160, 44), "fp": (214, 39, 40), "misclassified": (200, 30, 200), "fn": (255, 127, 14)}


class Thumbnail(BaseModel):
    image_id: Any
    file_name: str | None
    caption: str
    png_base64: str


def _caption(row: ImageRow) -> str:
    return f"{row.file_name or row.image_id}: TP {row.tp}, FP {row.fp}, FN {row.fn}"


def _xyxy(box: list[float], scale: float) -> list[float]:
    x, y, w, h = box
    return [x * scale, y * scale, (x + w) * scale, (y + h) * scale]


def draw_image(path: Path | str, objects: list[ImageObject], max_size: int | None = None) -> Any:
    """The image at ``path`` with every object and detection of ``objects`` drawn on it.

    ``max_size`` shrinks the longer side to at most that many pixels (boxes follow).

    Example:
        >>> draw_image("val/images/3.png", report.per_image[2].objects, max_size=256).size  # doctest: +SKIP
        (256, 256)
    """
    from PIL import Image, ImageDraw

    path = Path(path)
    if not path.is_file():
        raise InputError("images_dir", "the folder holding the split's images", got=str(path))
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    scale = 1.0
    if max_size is not None and max(image.size) > max_size:
        scale = max_size / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    draw = ImageDraw.Draw(image)
    width = max(1, round(max(image.size) / 160))
    for item in objects:
        colour = OUTCOME_COLORS[item.outcome]
        if item.gt_bbox is not None:
            draw.rectangle(_xyxy(item.gt_bbox, scale), outline=colour, width=width)
        if item.det_bbox is not None:
            box = _xyxy(item.det_bbox, scale)
            draw.rectangle(box, outline=colour, width=width * 2)
            label = item.predicted_class or ""
            if item.outcome == "misclassified":
                label = f"{item.gt_class} → {item.predicted_class}"
            if item.score is not None:
                label += f" {item.score:.2f}"
            draw.text((box[0] + 2, box[1] + 1), label, fill=colour)
    return image


def image_rows(evaluation: Any, *, actual: str | None = None, predicted: str | None = None,
               class_name: str | None = None, outcome: str | None = None) -> list[ImageRow]:
    """The per-image rows behind a chart element: a confusion-matrix cell (``actual``,
    ``predicted``, '(background)' allowed), a class (``class_name``, optionally with an
    ``outcome`` 'TP' / 'FP' / 'FN'), or all rows when nothing is given.

    Example:
        >>> [r.image_id for r in image_rows(report, actual="dog", predicted="cat")]  # doctest: +SKIP
        [2]
    """
    from synapse_nb.benchmark.analysis import BACKGROUND

    def hit(o: ImageObject) -> bool:
        if actual is not None or predicted is not None:
            gt = o.gt_class if o.outcome in ("tp", "fn", "misclassified") else BACKGROUND
            pred = o.predicted_class if o.outcome in ("tp", "fp", "misclassified") else BACKGROUND
            return (actual is None or gt == actual) and (predicted is None or pred == predicted)
        if class_name is not None:
            kinds = {"TP": ("tp",), "FP": ("fp", "misclassified"), "FN": ("fn", "misclassified")}
            wanted = kinds.get((outcome or "").upper(), ("tp", "fp", "fn", "misclassified"))
            if o.outcome not in wanted:
                return False
            if o.outcome == "misclassified":
                # an FP of the predicted class and an FN of the actual one
                return (class_name == o.predicted_class and outcome != "FN") or (class_name == o.gt_class and outcome != "FP")
            return class_name in (o.gt_class, o.predicted_class)
        return True

    rows = evaluation.per_image or []
    if actual is None and predicted is None and class_name is None:
        return list(rows)
    return [row for row in rows if any(hit(o) for o in row.objects)]


def worst_thumbnails(evaluation: Any, images_dir: Path | str, count: int = 12, max_size: int = 256) -> list[Thumbnail]:
    """PNG thumbnails (base64) of the ``count`` images with the most errors (FP + FN).

    Example:
        >>> len(worst_thumbnails(report, "val/images", count=4))  # doctest: +SKIP
        4
    """
    rows = sorted(evaluation.per_image or [], key=lambda r: (-(r.fp + r.fn), r.tp, str(r.image_id)))
    out = []
    for row in [r for r in rows if r.fp + r.fn > 0][:count]:
        if not row.file_name:
            continue
        image = draw_image(Path(images_dir) / row.file_name, row.objects, max_size=max_size)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.append(Thumbnail(image_id=row.image_id, file_name=row.file_name, caption=_caption(row),
                             png_base64=base64.b64encode(buffer.getvalue()).decode("ascii")))
    return out
