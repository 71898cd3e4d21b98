"""Placing event rows on the theater's network: by place name or alias first, else by coordinates.

Names are matched leniently (`name_key`: no accents, case, hyphens, apostrophes or leading
al-/el-); a row without a known name goes to the nearest node within a radius of its
coordinates, or is outside the theater.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

_SUFFIXES = re.compile(r"\s+(town|city|village|district|area|municipality|airport|air base|camp)$")


def name_key(name: str) -> str:
    """A lenient key for place names: no accents, case, hyphens, apostrophes or leading al-/el-;
    GED's '<name> town' becomes '<name>'."""
    text = re.sub(r"[\u2010-\u2015]", " ", name)  # dashes (a waypoint's en dash) part words
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or text
    text = re.sub(r"[-'’`_]", " ", text.lower())
    text = re.sub(r"\([^)]*\)", " ", text)
    text = " ".join(text.split())
    text = _SUFFIXES.sub("", text)
    return re.sub(r"^(al|el|ad|as|az|ar|ash|an)\s+", "", text)


def place_lookup(network: Any) -> dict[str, str]:
    """Lenient names of every node (places with aliases, and road waypoints) to node names."""
    out: dict[str, str] = {}
    for alias, node in network.aliases.items():
        out.setdefault(alias.strip().lower(), node)
        if alias:
            out.setdefault(name_key(alias), node)
    for node in network.graph.nodes:
        out.setdefault(node.lower(), node)
    return out


def assign_nodes(
    frame: pd.DataFrame, network: Any, radius_km: float
) -> tuple[list[str | None], list[str]]:
    """Each row's network node, by name or alias first, else the nearest node within
    `radius_km` of its coordinates (None: outside the theater); and how it was found."""
    from sim.geodesy import geodesic_km

    lookup = place_lookup(network)
    nodes = list(network.graph.nodes(data=True))
    lat = np.array([d["lat"] for _, d in nodes])
    lon = np.array([d["lon"] for _, d in nodes])
    out: list[str | None] = []
    how: list[str] = []
    for loc, la, lo in zip(frame["location"], frame["latitude"], frame["longitude"], strict=True):
        hit = lookup.get(loc.strip().lower()) or (
            lookup.get(name_key(loc)) if loc.strip() else None
        )
        if hit is not None:
            out.append(hit)
            how.append("name")
            continue
        if la != la or lo != lo:
            out.append(None)
            how.append("none")
            continue
        d = geodesic_km(la, lo, np.asarray(lat, float), np.asarray(lon, float))
        i = int(np.argmin(d))
        out.append(nodes[i][0] if d[i] <= radius_km else None)
        how.append("coordinates" if d[i] <= radius_km else "none")
    return out, how
