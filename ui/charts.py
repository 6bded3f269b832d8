"""Charts of the app (plotly, whose JavaScript ships in its wheel: they draw offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

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


def bars(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    unit: str,
    color: str | None = None,
    palette: Mapping[str, str] | None = None,
) -> go.Figure:
    """A bar chart of ``y`` per ``x``, grouped side by side by ``color`` when given.

    Parameters
    ----------
    frame
        One row per bar: the category ``x``, the value ``y`` and, optionally, the group
        ``color`` (e.g. :func:`ui.ledger.chart_data`: ``group``, ``value``, ``ledger_status``).
    x, y, color
        Column names.
    title
        The figure's title.
    unit
        The values' unit, shown on the axis and in the hover text.
    palette
        A colour per group of ``color`` (CSS colours), so that a group keeps its colour from
        chart to chart; groups it does not name take plotly's.

    Notes
    -----
    Categories and group names are data from the case: they are HTML-escaped, so plotly shows
    them as written (it reads a few HTML tags, such as links, in its labels).
    """
    import html  # noqa: PLC0415

    import plotly.graph_objects as go  # noqa: PLC0415 - heavy, only when a chart is drawn

    groups = [None] if color is None else list(dict.fromkeys(frame[color].astype(str)))
    figure = go.Figure()
    for group in groups:
        rows = frame if group is None else frame[frame[color].astype(str) == group]
        name = "" if group is None else html.escape(group)
        figure.add_trace(
            go.Bar(
                x=[html.escape(str(v)) for v in rows[x]],
                y=rows[y].astype(float).tolist(),
                name=name,
                marker_color=None if palette is None or group is None else palette.get(group),
                hovertemplate=f"%{{x}}: %{{y:,.0f}} {unit}<extra>{name}</extra>",
            )
        )
    figure.update_layout(
        title_text=title,
        barmode="group",
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis_title=unit,
        showlegend=color is not None,
    )
    return figure
