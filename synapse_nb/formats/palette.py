"""Display colours for classes that arrive without one (readers, sample projects).

Example:
    >>> class_colour(0), class_colour(10)
    ('#1f77b4', '#1f77b4')
"""

from __future__ import annotations

__all__ = ["TAB10", "class_colour"]

# The matplotlib/Plotly "tab10" colours: distinct, and familiar from the figures users see.
TAB10 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def class_colour(index: int) -> str:
    """The colour of the ``index``-th class, cycling through :data:`TAB10`."""
    return TAB10[index % len(TAB10)]
