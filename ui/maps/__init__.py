"""The folium maps of the UI (no Streamlit here), one module per concern.

- :mod:`ui.maps.base`: the empty base map (tiles or none), bounds, layer control, offline assets.
- :mod:`ui.maps.colours`: colours of NACE sections and resource families.
- :mod:`ui.maps.features`: site and park layers and the GeoJSON they are drawn from, shared by
  both maps.
- :mod:`ui.maps.legend`: the legend control.
- :mod:`ui.maps.route`: the road route of a selected exchange.
- :mod:`ui.maps.case_map`: the Map page's map of a case's exchanges, and its summary line.
- :mod:`ui.maps.candidate_map`: the Synergies page's map of candidate exchanges.
"""
