"""`observe import`: synthetic ACLED and UCDP GED rows (in the exact column sets of those
exports, never real ACLED rows) become observation facts that `check` and `validate` accept."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.eventdata import ACLED_COLUMNS, ACLED_KINDS, GED_COLUMNS, export_row, import_kind
from sim.observations import EVENT_KINDS
from tests.conftest import ROOT, input_errors

runner = CliRunner()
LNA = "Military Forces of Libya (2014-) Haftar Faction"
GNA = "Military Forces of Libya (2016-) Government of National Accord"


def acled_row(i: int, **kw) -> dict:
    """A synthetic row with every column of an ACLED export (values invented for tests)."""
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update(
        event_id_cnty=f"LBY{i}", event_date="2020-01-07", year="2020", time_precision="1",
        disorder_type="Political violence", event_type="Battles", sub_event_type="Armed clash",
        actor1=LNA, actor2=GNA, inter1="1", inter2="1", interaction="11", iso="434",
        region="Northern Africa", country="Libya", admin1="Surt", location="Sirte",
        latitude="31.2089", longitude="16.5887", geo_precision="1", source="synthetic",
        source_scale="National", notes="synthetic row", fatalities="0", timestamp="1578960000",
    )  # fmt: skip
    row.update({k: str(v) for k, v in kw.items()})
    return row


def write_csv(path: Path, rows: list[dict], columns=ACLED_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


def run_import(path: Path, out: Path, *extra: str, fmt: str = "acled"):
    args = [
        "observe",
        "import",
        str(path),
        "--format",
        fmt,
        "--theater",
        "libya",
        "--out",
        str(out),
    ]
    return runner.invoke(app, [*args, *extra])


def facts(out: Path) -> dict[str, dict]:
    return {o["id"]: o for o in yaml.safe_load(out.read_text())["observations"]}


ROWS = [
    acled_row(1, fatalities=4),  # Sirte by name, Tue 7 Jan
    acled_row(
        2, location="Surt", fatalities=2, event_date="08 January 2020"
    ),  # an alias, old date format
    acled_row(
        3,
        location="Al Washkah",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1="Pro-GNA Faction and/or Military Forces of Turkey (2016-)",
        actor2=LNA,
        fatalities=12,
        event_date="2020-01-07",
    ),
    # no place of that name: 5 km from Abu Grein by coordinates
    acled_row(
        4, location="Qaryat Nowhere", latitude="31.49", longitude="15.253", event_date="2020-01-13"
    ),
    acled_row(5, geo_precision=3),  # only the region is known
    acled_row(6, location="Paris", latitude="48.85", longitude="2.35"),  # outside the theater
    acled_row(
        7,
        event_type="Violence against civilians",
        sub_event_type="Attack",
        actor2="Civilians (Libya)",
        civilian_targeting="Civilian targeting",
        fatalities=3,
    ),
    acled_row(
        8,
        event_type="Protests",
        sub_event_type="Peaceful protest",
        actor1="Protesters (Libya)",
        actor2="",
    ),
    acled_row(9, actor1="Some Brigade Nobody Knows", actor2=GNA),
    acled_row(
        10,
        event_type="Battles",
        sub_event_type="Non-state actor overtakes territory",
        location="Abu Grein",
        latitude="31.449",
        longitude="15.253",
        event_date="2020-01-26",
    ),
]


@pytest.fixture
def imported(tmp_path):
    path = write_csv(tmp_path / "acled.csv", ROWS)
    out = tmp_path / "obs.yaml"
    result = run_import(path, out, "--from", "2020-01-06", "--to", "2020-01-31")
    assert result.exit_code == 0, result.output
    return out, result


def test_acled_rows_become_weekly_facts_with_row_ids(imported):
    out, _result = imported
    f = facts(out)
    week = "20200106"  # Monday 6 Jan to Sunday 12 Jan
    eng = f[f"acled_engagement_count_{week}"]
    assert eng["metric"] == "event_count" and eng["event"] == "engagement"
    assert (eng["low"], eng["high"]) == (3, 5)  # rows 1, 2, 9; count range [n, ceil(1.5 n)]
    assert eng["source"]["rows"] == ["LBY1", "LBY2", "LBY9"]
    assert eng["window"] == {"from": "2020-01-06T00:00:00+02:00", "to": "2020-01-12T23:59:59+02:00"}
    at_sirte = f[f"acled_engagement_count_sirte_{week}"]
    assert at_sirte["place"] == "Sirte" and at_sirte["low"] == 3
    deaths = f[f"acled_engagement_deaths_{week}"]
    assert (deaths["metric"], deaths["low"], deaths["high"]) == ("event_casualties", 6, 12)
    strike = f[f"acled_strike_count_washka_{week}"]
    assert strike["place"] == "al-Washka" and strike["source"]["rows"] == ["LBY3"]
    civ = f[f"acled_civilian_deaths_{week}"]
    assert (civ["metric"], civ["low"], civ["high"], civ["source"]["rows"]) == (
        "event_civilian_casualties", 3, 6, ["LBY7"],
    )  # fmt: skip
    # by coordinates, in the next week; a zero week is a fact too
    assert f["acled_engagement_count_abu_grein_20200113"]["source"]["rows"] == ["LBY4"]
    assert f["acled_strike_count_20200113"]["low"] == 0
    # single events: a strike with 12 deaths, a change of control
    notable = f["acled_strike_washka_on_20200107"]
    assert notable["kind"] == "event" and notable["min_casualties"] == 12
    assert (notable["attacker"], notable["target"]) == ("GNA", "LNA")
    taken = f["acled_control_change_abu_grein_on_20200126"]
    assert taken["factions"] == ["LNA"]
    # the last week is clipped to --to
    assert f["acled_engagement_count_20200127"]["window"]["to"] == "2020-01-31T23:59:59+02:00"


def test_rows_set_aside_are_counted_and_named(imported):
    out, result = imported
    err = result.stderr
    assert "10 rows: 8 used, 0 outside the window, 1 too coarse in place" in err
    assert "1 outside the theater" in err and "outside the theater: LBY6" in err
    assert "too coarse in place: LBY5" in err
    assert "1 rows placed by coordinates" in err
    assert "unknown actor 'Some Brigade Nobody Knows': 1 rows" in err
    assert "no model kind for 'Protests / Peaceful protest': 1 rows" in err
    notes = yaml.safe_load(out.read_text())["notes"]
    assert any("outside the theater: LBY6" in n for n in notes)


def test_check_validates_the_file_and_calibrate_refuses_facts_after_the_cutoff(imported):
    from sim.config import load_scenario
    from sim.errors import InputError
    from sim.observations import check_in_sample, load_observations

    out, _ = imported
    result = runner.invoke(app, ["check", str(out)])
    assert result.exit_code == 0 and "observations ok" in result.output
    setup = load_scenario(ROOT / "scenarios" / "ceasefire_jan12.yaml")
    obs = load_observations(out, setup)  # names, kinds, metrics and times check out
    with pytest.raises(InputError) as exc:
        check_in_sample(obs, setup)
    refused = {p.message.split("'")[1] for p in exc.value.problems}
    assert "acled_control_change_abu_grein_on_20200126" in refused
    assert "acled_engagement_count_20200106" in refused  # the week reaches past 12 Jan 00:00


def test_facts_before_the_cutoff_are_accepted_by_calibrate(tmp_path):
    from sim.config import load_scenario
    from sim.observations import check_in_sample, load_observations

    path = write_csv(tmp_path / "a.csv", ROWS[:3])
    out = tmp_path / "obs.yaml"
    assert run_import(path, out, "--to", "2020-01-11").exit_code == 0
    setup = load_scenario(ROOT / "scenarios" / "ceasefire_jan12.yaml")
    check_in_sample(load_observations(out, setup), setup)  # raises if any is after the cutoff


def test_ucdp_ged_rows_use_their_own_range(tmp_path):
    base = dict.fromkeys(GED_COLUMNS, "")
    base.update(
        year="2020", type_of_violence="1", conflict_name="Libya: Government",
        dyad_name="Government of Libya - Forces of Khalifa Haftar", side_a="Government of Libya",
        side_b="Forces of Khalifa Haftar", where_prec="1", where_coordinates="Sirte town",
        latitude="31.2089", longitude="16.5887", date_prec="1", date_start="2020-01-07",
        date_end="2020-01-07", deaths_a="2", deaths_b="4", deaths_civilians="2", deaths_unknown="0",
        best="8", high="12", low="6",
    )  # fmt: skip
    rows = [
        {**base, "id": "1001"},
        {**base, "id": "1002", "where_prec": "4"},  # first-order admin unit only
        {**base, "id": "1003", "date_start": "2020-01-06", "date_end": "2020-01-20"},  # no one week
        {
            **base,
            "id": "1004",
            "type_of_violence": "3",
            "side_b": "Civilians",
            "best": "5",
            "high": "5",
            "low": "5",
            "deaths_civilians": "5",
            "deaths_a": "0",
            "deaths_b": "0",
        },
    ]
    path = write_csv(tmp_path / "ged.csv", rows, GED_COLUMNS)
    out = tmp_path / "obs.yaml"
    result = run_import(path, out, "--from", "2020-01-06", "--to", "2020-01-12", fmt="ucdp-ged")
    assert result.exit_code == 0, result.output
    assert "1 too coarse in place, 1 too coarse in time" in result.stderr
    f = facts(out)
    deaths = f["ged_engagement_deaths_20200106"]  # 6 combatants of 8: GED's 6-12 scaled by 6/8
    assert (deaths["low"], deaths["high"]) == (4.5, 9.0)
    civ = f["ged_civilian_deaths_20200106"]  # 2 of 8 in row 1001, all 5 in row 1004
    assert (civ["low"], civ["high"]) == (1.5 + 5, 3.0 + 5)
    assert civ["source"]["rows"] == ["1001", "1004"]
    assert "CC BY 4.0" in civ["source"]["publication"]
    assert f["ged_engagement_count_sirte_20200106"]["low"] == 1


def test_kind_table_reads_back_what_it_writes():
    """Every kind the model logs that has its own ACLED type is imported as itself."""
    own = {}
    for row in ACLED_KINDS:
        own.setdefault((row.event_type, row.sub_event_type), []).append(row)
    for row in ACLED_KINDS:
        if row.imported and row.kind in EVENT_KINDS:
            kind = import_kind(row.event_type.upper(), f" {row.sub_event_type} ", EVENT_KINDS)
            first = next(
                r.kind
                for r in own[(row.event_type, row.sub_event_type)]
                if r.imported and r.kind in EVENT_KINDS
            )
            assert kind == first
    assert import_kind("Battles", "Armed clash", EVENT_KINDS) == "engagement"
    assert import_kind("Explosions/Remote violence", "Air/drone strike", EVENT_KINDS) == "strike"
    assert import_kind("Strategic developments", "Disrupted weapons use", EVENT_KINDS) == "air_loss"
    assert import_kind("Strategic developments", "Arrests", EVENT_KINDS) is None
    # a kind the table has not heard of is still written, as Strategic developments / Other
    assert export_row("brand_new_kind").sub_event_type == "Other"
    # a ceasefire incident by its kind (the event's `detail`), as ACLED would code the fire
    assert export_row("violation", "drone").sub_event_type == "Air/drone strike"
    assert export_row("violation", "small_arms").sub_event_type == "Armed clash"
    assert (
        export_row("violation", "unheard_of").sub_event_type == "Shelling/artillery/missile attack"
    )


def test_bad_input_is_one_located_line_each(tmp_path):
    # a notes cell spanning two lines moves the next row's line number
    rows = [acled_row(1, notes="line one\nline two"), acled_row(2, fatalities="many")]
    path = write_csv(tmp_path / "bad.csv", rows)
    out = tmp_path / "obs.yaml"
    (err,) = input_errors(run_import(path, out))
    assert (err["line"], err["col"], err["field"]) == (
        "4",
        str(ACLED_COLUMNS.index("fatalities") + 1),
        "fatalities",
    )
    assert not out.exists()

    cols = [c if c != "event_date" else "event_dat" for c in ACLED_COLUMNS]
    bad = write_csv(tmp_path / "cols.csv", [], cols)
    (err,) = input_errors(run_import(bad, out))
    assert "missing column 'event_date' (did you mean 'event_dat'?)" in err["msg"]

    (err,) = input_errors(run_import(path, out, "--from", "7 Jan"))
    assert err["field"] == "--from"
    (err,) = input_errors(run_import(path, out, fmt="acle"))
    assert "did you mean 'acled'" in err["msg"]
    (err,) = input_errors(run_import(tmp_path / "missing.csv", out))
    assert err["msg"] == "no such file"
    assert not list(tmp_path.glob(".*"))


def test_a_bad_actor_mapping_is_located(tmp_path):
    mapping = tmp_path / "actors.yaml"
    mapping.write_text(
        "theater: libya\nfactions:\n  LNB:\n    actors:\n      - pattern: 'Haftar('\n        source: x\n"
    )
    path = write_csv(tmp_path / "a.csv", ROWS[:1])
    errs = input_errors(run_import(path, tmp_path / "o.yaml", "--actors", str(mapping)))
    msgs = {(e["line"], e["field"]): e["msg"] for e in errs}
    assert "unknown faction 'LNB'" in msgs[("3", "factions.LNB")]
    assert "did you mean 'LNA'" in msgs[("3", "factions.LNB")]
    assert msgs[("5", "factions.LNB.actors.0.pattern")].startswith("bad regular expression")


def test_the_libya_mapping_places_known_actors():
    from sim.eventdata import load_actors

    actors = load_actors(
        "libya", {"GNA": "Government of National Accord", "LNA": "Libyan National Army"}
    )
    assert actors.faction(LNA) == "LNA"
    assert actors.faction(GNA) == "GNA"
    assert (
        actors.faction("Pro-Haftar Faction and/or Military Forces of United Arab Emirates (2004-)")
        == "LNA"
    )
    assert actors.faction("Wagner Group") == "LNA"
    assert actors.faction("Misrata Communal Militia (Libya)") == "GNA"
    assert actors.faction("Civilians (Libya)") is None
    assert actors.faction("Unidentified Armed Group (Libya)") is None
    assert actors.faction("Haftar and GNA joint committee") is False  # both: ambiguous, not guessed
    assert actors.faction("Some New Brigade") is False


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Sirte", "Tripoli", "Abu Grein", "Misrata", "Atlantis"]),
            st.sampled_from(
                [
                    ("Battles", "Armed clash"),
                    ("Explosions/Remote violence", "Air/drone strike"),
                    ("Protests", "Peaceful protest"),
                ]
            ),
            st.integers(0, 30),
            st.integers(6, 19),
            st.sampled_from(["1", "2", "3"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_every_row_is_used_or_reported(tmp_path_factory, cells):
    """Conservation: rows used in weekly counts + set aside + of no model kind = all rows."""
    tmp = tmp_path_factory.mktemp("h")
    rows = [
        acled_row(i, location=loc, latitude="" if loc == "Atlantis" else "31.2", longitude="" if loc == "Atlantis" else "16.5",
                  event_type=t, sub_event_type=s, fatalities=f, event_date=f"2020-01-{d:02d}", geo_precision=g)
        for i, (loc, (t, s), f, d, g) in enumerate(cells)
    ]  # fmt: skip
    path = write_csv(tmp / "a.csv", rows)
    out = tmp / "o.yaml"
    result = run_import(path, out, "--from", "2020-01-06", "--to", "2020-01-19")
    if result.exit_code == 2:  # nothing of a model kind survived: said so, nothing written
        assert "no facts" in result.stderr and not out.exists()
        return
    assert result.exit_code == 0, result.output
    f = yaml.safe_load(out.read_text())["observations"]
    weekly = [o for o in f if o.get("metric") == "event_count" and "place" not in o]
    counted = sum(o["low"] for o in weekly)
    weekly_ids = {r for o in weekly for r in o["source"]["rows"]}
    coarse = sum(1 for _, _, _, _, g in cells if g == "3")
    outside = sum(1 for loc, _, _, _, g in cells if loc == "Atlantis" and g != "3")
    protests = sum(
        1 for loc, (t, _), _, _, g in cells if t == "Protests" and g != "3" and loc != "Atlantis"
    )
    assert counted == len(weekly_ids) == len(rows) - coarse - outside - protests


def test_a_change_of_control_names_only_the_side_that_took_the_place(tmp_path):
    rows = [
        acled_row(
            1,
            event_type="Battles",
            sub_event_type="Government regains territory",
            actor1="Unknown Militia X",
            actor2=LNA,
        ),
        acled_row(
            2,
            event_type="Battles",
            sub_event_type="Non-state actor overtakes territory",
            actor1=LNA,
            actor2=GNA,
            location="Abu Grein",
            event_date="2020-01-08",
        ),
    ]
    out = tmp_path / "o.yaml"
    assert run_import(write_csv(tmp_path / "a.csv", rows), out).exit_code == 0
    f = facts(out)
    assert "factions" not in f["acled_control_change_sirte_on_20200107"]  # the loser is no clue
    assert f["acled_control_change_abu_grein_on_20200108"]["factions"] == ["LNA"]


def test_an_event_counts_in_every_week_it_spans(tmp_path):
    """As `validate` counts an event while it lasts: a GED event of Sunday 12 and Monday 13
    January is in both weeks; an ACLED row is one day."""
    base = dict.fromkeys(GED_COLUMNS, "")
    base.update(
        id="7", year="2020", type_of_violence="1", side_a="Government of Libya", side_b="LNA",
        where_prec="1", where_coordinates="Sirte", latitude="31.2", longitude="16.6", date_prec="1",
        date_start="2020-01-12", date_end="2020-01-13", best="4", low="4", high="4",
        deaths_civilians="0",
    )  # fmt: skip
    out = tmp_path / "o.yaml"
    path = write_csv(tmp_path / "g.csv", [base], GED_COLUMNS)
    assert (
        run_import(
            path, out, "--from", "2020-01-06", "--to", "2020-01-19", fmt="ucdp-ged"
        ).exit_code
        == 0
    )
    f = facts(out)
    assert f["ged_engagement_count_20200106"]["low"] == 1
    assert f["ged_engagement_count_20200113"]["low"] == 1
    one_day = write_csv(tmp_path / "a.csv", [acled_row(1, event_date="2020-01-12")])
    assert run_import(one_day, out, "--from", "2020-01-06", "--to", "2020-01-19").exit_code == 0
    f = facts(out)
    assert (
        f["acled_engagement_count_20200106"]["low"],
        f["acled_engagement_count_20200113"]["low"],
    ) == (1, 0)


def test_a_patron_named_as_export_writes_it_counts_for_its_client():
    """export writes a patron under its theater id (a deployment's actor2 'Russia'); importing
    that file reported 'unknown actor Russia (add it to the actor mapping)' for our own rows.
    A patron's id or name that no rule of the mapping knows counts for its client."""
    from sim.config import load_theater
    from sim.eventdata import load_actors

    t = load_theater("config/theaters/libya.yaml")
    base = load_actors(t.name, {k: f.name for k, f in t.factions.items()})
    assert base.faction("Russia") is False
    actors = base.with_patrons({k: (p.name, p.client) for k, p in t.patrons.items()})
    assert [actors.faction(n) for n in ("Russia", "Turkey", "UAE", "United Arab Emirates")] == [
        "LNA", "GNA", "LNA", "LNA",
    ]  # fmt: skip
    # the mapping's own rules are untouched
    assert actors.faction("Military Forces of Turkey (2016-)") == "GNA"
    assert actors.faction("Civilians (Libya)") is None


def test_importing_exports_patron_rows_names_no_unknown_actor(tmp_path):
    rows = [
        acled_row(1),
        acled_row(
            2, disorder_type="Strategic developments", event_type="Strategic developments",
            sub_event_type="Change to group/activity", actor1="Libyan National Army",
            actor2="Russia", location="Tripoli International Airport", latitude="32.6635",
            longitude="13.159",
        ),
    ]  # fmt: skip
    result = run_import(write_csv(tmp_path / "e.csv", rows), tmp_path / "o.yaml")
    assert result.exit_code == 0, result.output
    assert "unknown actor" not in result.stderr
