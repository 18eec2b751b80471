"""Sample projects for demos and tests: synthetic coloured shapes on noise.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from synapse_nb.samples import generate_sample_project
    >>> raw = generate_sample_project(Path(tempfile.mkdtemp()) / "demo", num_images=8, image_size=32, num_classes=5)
    >>> [c.shape for c in raw.meta.classes]
    ['rectangle', 'polygon', 'polygon', 'polygon', 'bitmap']
"""

from synapse_nb.samples._draw import SAMPLE_CLASSES
from synapse_nb.samples.generator import generate_sample_project

__all__ = ["SAMPLE_CLASSES", "generate_sample_project"]
