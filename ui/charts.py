"""Charts of the app (plotly, whose JavaScript ships in its wheel: they draw offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go


def sankey(flows: pd.DataFrame, *, unit: str, title: str) -> go.Figure:
    """A Sankey diagram of what goes from each source group to each target group.

    Parameters
    ----------
    flows
        ``source``, ``target``, ``quantity`` (:func:`flows.allocation.flows_between`).
    unit
        The quantities' unit, shown in the hover text.
    title
        The figure's title.

    Notes
    -----
    Sources and targets are drawn as separate nodes ("supplies" on the left, "receives" on
    the right), so a group that does both never makes a loop. Labels are data from the case:
    plotly renders them as text, not HTML.
    """
    import plotly.graph_objects as go  # noqa: PLC0415 - heavy, only when a chart is drawn

    sources = list(dict.fromkeys(flows["source"].astype(str)))
    targets = list(dict.fromkeys(flows["target"].astype(str)))
    labels = [f"{s} (supplies)" for s in sources] + [f"{t} (receives)" for t in targets]
    figure = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 14, "thickness": 16},
            link={
                "source": [sources.index(str(s)) for s in flows["source"]],
                "target": [len(sources) + targets.index(str(t)) for t in flows["target"]],
                "value": flows["quantity"].astype(float).tolist(),
                "hovertemplate": f"%{{source.label}} → %{{target.label}}: %{{value:,.0f}} {unit}"
                "<extra></extra>",
            },
        )
    )
    figure.update_layout(title_text=title, height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
