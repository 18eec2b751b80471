"""How a train/val split divides each class: objects per class on each side, as grouped bars.

Example:
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"train": [8, 3], "val": [2, 0]}, index=pd.Index(["square", "circle"], name="class"))
    >>> fig = split_class_chart(counts)
    >>> [t.name for t in fig.data], list(fig.data[1].y)
    (['train', 'val'], [2, 0])
"""

from __future__ import annotations

__all__ = ["LEGEND", "TITLE", "split_class_chart"]

import pandas as pd
import plotly.graph_objects as go

from synapse_nb.widgets.figures.theme import apply_theme, empty_figure, palette

TITLE = "Objects per class on each side"
# Above the plot, right: below it the legend would sit on the class names.
LEGEND = {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}


def split_class_chart(counts: pd.DataFrame, height: int = 260) -> go.Figure:
    """Grouped bars of ``counts`` (index: classes, columns ``train`` and ``val``: objects).

    Each bar's hover gives the class's share of its side's objects, so a class that is rare
    in val but common in train stands out.

    Example:
        >>> split_class_chart(pd.DataFrame(columns=["train", "val"])).layout.annotations[0].text
        'no classes to split yet'
    """
    if counts.empty:
        return empty_figure("no classes to split yet", title=TITLE, height=height)
    colors = palette()
    fig = go.Figure()
    for index, side in enumerate(("train", "val")):
        values = counts[side].astype(int)
        total = int(values.sum())
        shares = [(v / total) if total else 0.0 for v in values]
        fig.add_trace(go.Bar(
            name=side, x=[str(c) for c in counts.index], y=values.tolist(), marker_color=colors[index % len(colors)],
            customdata=shares, hovertemplate=f"{side} · %{{x}}: %{{y}} objects (%{{customdata:.0%}} of {side})<extra></extra>",
        ))
    fig.update_layout(barmode="group", xaxis_title="class", yaxis_title="objects", legend=LEGEND)
    return apply_theme(fig, height=height, title=TITLE)
