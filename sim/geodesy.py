"""Distances on the Earth: the WGS84 geodesic (Karney 2013, "Algorithms for geodesics", J. Geod.
87: 43-55), computed by pyproj's `Geod`; never a hand-written spherical formula."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def _wgs84():
    from pyproj import Geod  # imported on first use: most commands never measure a distance

    return Geod(ellps="WGS84")


def geodesic_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """WGS84 geodesic distance in km between points given in degrees; scalars or arrays of one
    shape, returned as an array of that shape."""
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(x, float) for x in (lat1, lon1, lat2, lon2))
    )
    _, _, metres = _wgs84().inv(lon1.copy(), lat1.copy(), lon2.copy(), lat2.copy())
    return np.asarray(metres, float) / 1000.0
