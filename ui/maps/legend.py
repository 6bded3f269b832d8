"""The legend in a map's bottom-left corner: sectors, line families and what widths mean."""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from flows.nace import SECTION_NAMES
from ui.maps.colours import SECTION_COLOURS, UNKNOWN_COLOUR, family_colour, family_label
from ui.maps.route import ROUTE_CASING_COLOUR, ROUTE_COLOUR
from ui.text import html_text as _text

__all__ = ["LEGEND_WIDTH_PX", "Legend", "legend_html"]

LEGEND_WIDTH_PX = 230


class Legend(MacroElement):
    """A Leaflet control in the map's bottom-left corner showing ready-made (escaped) HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "symbiomap-legend");
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, body_html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.body_html = body_html
        # json.dumps leaves "</" alone; escape it so the string cannot close the <script>.
        self.html_json = json.dumps(body_html).replace("</", "<\\/")


def legend_html(
    sections: list[str],
    families: list[str],
    *,
    route: bool = False,
    lines_title: str = "Exchanges",
    lines_note: str = "Width grows with quantity; dashed: not published.",
) -> str:
    """The legend's HTML: each NACE section with its title, each line family with its name.

    Parameters
    ----------
    sections
        NACE section letters of the sites shown.
    families
        Resource family keys of the lines shown; none leaves the lines part out.
    route
        Whether to explain the selected exchange's road route.
    lines_title, lines_note
        Heading and explanation of the lines part (plain text; escaped here).
    """
    box = (
        "background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:11px/1.3 sans-serif;"
        f"max-width:{LEGEND_WIDTH_PX}px;max-height:70vh;overflow-y:auto"
    )
    parts = [
        f'<details open style="{box}">',
        '<summary style="cursor:pointer"><b>Legend</b></summary>',
        "<b>Sectors (NACE)</b><br>",
    ]
    for section in sections:
        colour = SECTION_COLOURS.get(section, UNKNOWN_COLOUR)
        parts.append(
            f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
            f'border:1px solid #222;background:{colour};margin-right:4px"></span>'
            f"{_text(section)} – {_text(SECTION_NAMES.get(section, 'unknown'))}<br>"
        )
    if families:
        parts.append(f"<b>{_text(lines_title)}</b><br>")
        for family in families:
            parts.append(
                f'<span style="display:inline-block;width:18px;height:0;'
                f'border-top:3px solid {family_colour(family)};margin:0 4px 3px 0"></span>'
                f"{_text(family_label(family))}<br>"
            )
        parts.append(f'<span style="color:#555">{_text(lines_note)}</span>')
    if route:
        parts.append(
            f'<br><span style="display:inline-block;width:18px;height:0;'
            f"border-top:4px dashed {ROUTE_COLOUR};outline:2px solid {ROUTE_CASING_COLOUR};"
            f'margin:0 4px 3px 0"></span>Road route of the selected exchange<br>'
        )
    parts.append("</details>")
    return "".join(parts)
