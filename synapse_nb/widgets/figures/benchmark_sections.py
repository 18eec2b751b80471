"""The benchmark report's analysis sections as Plotly figures, for the notebook UI. They live
in :mod:`synapse_nb.benchmark.figure_sections` (the agent's HTML page draws them too); this
module re-exports them.

Example:
    >>> from synapse_nb.widgets.figures.benchmark_sections import confusion_matrix
    >>> confusion_matrix(report).show()  # doctest: +SKIP
"""

from __future__ import annotations

from synapse_nb.benchmark.figure_sections import (
    SECTION_FIGURES,
    confidence_profile,
    confusion_matrix,
    evaluations_of,
    iou_histogram,
    most_confused,
    outcomes,
    per_image_table,
    reliability_diagram,
    sort_rows,
)

__all__ = [
    "SECTION_FIGURES", "confidence_profile", "confusion_matrix", "evaluations_of", "iou_histogram",
    "most_confused", "outcomes", "per_image_table", "reliability_diagram", "sort_rows",
]
