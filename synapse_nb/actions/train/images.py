"""Images and figures a run logs (``run.log_visualization('predictions', 'train', epoch, image)``).

A plugin hands over what it has: encoded bytes (PNG, JPEG...), a PIL image, or a numpy
array (H x W grey, H x W x 3 RGB, H x W x 4 RGBA; uint8, or floats in 0..1). It is stored as
a PNG data URI the dashboard shows as it is; images wider or taller than ``MAX_SIDE`` are
scaled down (a dashboard thumbnail, not an archive).

Example:
    >>> import numpy as np
    >>> data = image_data(np.zeros((4, 6, 3), dtype=np.uint8))
    >>> data["width"], data["height"], data["src"][:22]
    (6, 4, 'data:image/png;base64,')
    >>> visualization_data({"data": [], "layout": {}})
    ('plotly', {'data': [], 'layout': {}})
"""

from __future__ import annotations

__all__ = ["MAX_SIDE", "image_data", "is_image", "visualization_data"]

import base64
import io
from typing import Any

from synapse_nb.errors import InputError

MAX_SIDE = 1024


def _from_array(array: Any) -> Any:
    import numpy as np
    from PIL import Image

    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InputError("image_data", "an H x W, H x W x 3 or H x W x 4 array", got=f"shape {arr.shape}")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.number):
            raise InputError("image_data", "a numeric array", got=str(arr.dtype))
        finite = np.nan_to_num(arr.astype(np.float64))
        scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
        arr = np.clip(finite * scale, 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def image_data(value: Any) -> dict[str, Any]:
    """A logged image as ``{"src": PNG data URI, "width", "height"}``."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            image = Image.open(io.BytesIO(bytes(value)))
            image.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError("image_data", "encoded image bytes (PNG, JPEG, ...)", got=f"{len(value)} bytes: {exc}") from None
    elif isinstance(value, Image.Image):
        image = value
    elif hasattr(value, "__array__") or isinstance(value, (list, tuple)):
        image = _from_array(value)
    else:
        raise InputError("image_data", "image bytes, a PIL image or a numpy array", got=type(value).__name__)
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    src = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"src": src, "width": image.size[0], "height": image.size[1]}


def is_image(value: Any) -> bool:
    """Whether ``value`` is something :func:`image_data` takes rather than a figure dict.

    Example:
        >>> is_image(b"\\x89PNG"), is_image({"data": []})
        (True, False)
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True
    if isinstance(value, dict) or hasattr(value, "to_plotly_json"):
        return False
    try:
        from PIL import Image

        if isinstance(value, Image.Image):
            return True
    except ImportError:
        return False
    return hasattr(value, "__array__") and hasattr(value, "shape")


def visualization_data(data: Any, kind: str | None = None) -> tuple[str, Any]:
    """``(kind, data)`` of a visualization as stored: an image (bytes, PIL, numpy) becomes a
    PNG data URI, a Plotly figure its JSON; ``kind`` (``"image"``, ``"plotly"``) is guessed
    when not given."""
    if kind is None:
        kind = "image" if is_image(data) else "plotly"
    if kind == "image" and not isinstance(data, dict):
        data = image_data(data)
    if hasattr(data, "to_plotly_json"):
        import json

        import plotly.utils

        figure = data.to_plotly_json()
        figure = {"data": [dict(t) for t in figure.get("data", [])], "layout": dict(figure.get("layout", {}))}
        data = json.loads(json.dumps(figure, cls=plotly.utils.PlotlyJSONEncoder))
    return kind, data
