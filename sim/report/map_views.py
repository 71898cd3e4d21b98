"""The control map's views: the whole theater and a zoom on its densest cluster of places, and a
scale bar that follows the view (`sim.report.map`). Distances are geodesic km
(`sim.geodesy.geodesic_km`); ranges are (low, high) degrees of longitude and latitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.geodesy import geodesic_km

KM_PER_DEGREE = 111.32  # of latitude; of longitude times cos(latitude)
ZOOM_KM = 80.0  # radius of the densest cluster the zoom button frames


def map_views(
    nodes: pd.DataFrame, lons: tuple[float, float], lats: tuple[float, float]
) -> list[tuple[str, tuple[float, float], tuple[float, float]]]:
    """(button label, lon range, lat range): the whole theater (`lons`, `lats`), then a zoom on
    the densest cluster of places (the most places within ZOOM_KM of one place: typically a
    besieged capital's front), named after its most populous place."""
    views = [("whole theater", lons, lats)]
    lat, lon = nodes["lat"].to_numpy(dtype=float), nodes["lon"].to_numpy(dtype=float)
    if len(nodes) < 3:
        return views
    counts = [
        int((geodesic_km(lat, lon, la, lo) <= ZOOM_KM).sum())
        for la, lo in zip(lat, lon, strict=True)
    ]
    c = int(np.argmax(counts))
    real = nodes[~nodes["waypoint"].astype(bool)]
    close = (
        geodesic_km(real["lat"].to_numpy(float), real["lon"].to_numpy(float), lat[c], lon[c])
        <= ZOOM_KM
    )
    pop = pd.to_numeric(real.get("population"), errors="coerce")
    pop = pop.fillna(0) if pop is not None else pd.Series(0.0, index=real.index)
    near = real[close].loc[pop[close].idxmax()] if close.any() else real.iloc[0]
    dlat = 1.2 * ZOOM_KM / KM_PER_DEGREE
    dlon = 1.8 * dlat / np.cos(np.radians(lat[c]))
    views.append(
        (
            f"zoom: around {near['name']}",
            (lon[c] - dlon, lon[c] + dlon),
            (lat[c] - dlat, lat[c] + dlat),
        )
    )
    return views


def _bar(lons: tuple[float, float], lats: tuple[float, float]) -> tuple[list[float], float, float]:
    """A round length (km) about a fifth of the view's width, and its ends in the lower left."""
    lat0 = lats[0] + 0.07 * (lats[1] - lats[0])
    width_km = (lons[1] - lons[0]) * KM_PER_DEGREE * np.cos(np.radians(lat0))
    km = next(k for k in (500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= width_km / 5)
    lon0 = lons[0] + 0.04 * (lons[1] - lons[0])
    lon1 = lon0 + km / (KM_PER_DEGREE * np.cos(np.radians(lat0)))
    return [lon0, lon1], lat0, km


def scale_bar_data(lons: tuple[float, float], lats: tuple[float, float]) -> dict[str, Any]:
    """The scale bar of a view as trace data (`lon`, `lat`, `text`, each a list of one list), for
    `scale_bar` and for the zoom buttons that move it."""
    ends, lat0, km = _bar(lons, lats)
    return {
        "lon": [[ends[0], ends[1], None, (ends[0] + ends[1]) / 2]],
        "lat": [[lat0, lat0, None, lat0]],
        "text": [["", "", "", f"{km:g} km"]],
    }


def scale_bar(lons: tuple[float, float], lats: tuple[float, float]) -> go.Scattergeo:
    """A scale bar (a round number of km) in the lower left of the view."""
    d = scale_bar_data(lons, lats)
    return go.Scattergeo(
        lon=d["lon"][0], lat=d["lat"][0], text=d["text"][0], mode="lines+text",
        textposition="top center", line=dict(color="#222222", width=3),
        textfont=dict(size=11, color="#222222"), hoverinfo="skip", showlegend=False,
        name="scale",
    )  # fmt: skip
