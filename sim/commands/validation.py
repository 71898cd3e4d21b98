"""Validation commands: `validate` (score a scenario against observations) and `calibrate`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from sim.commands import Replicates, Seed, SetFile, SetItems, Workers, input_errors

# No default file: without --observations a scenario is scored against the facts it names
# (`observations:`, sim.scenario_observations), never another theater's.
Observations = Annotated[
    Path | None,
    typer.Option(
        "--observations", "-o",
        help="Observations YAML file (default: the scenario's own, its `observations:` field)",
    ),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("calibrate")(calibrate)


def _overrides(set_items: list[str] | None, set_file: Path | None, setup: Any) -> dict[str, float]:
    """`--set-file` then `--set`; a bad key or value of the set file is located in it."""
    from sim.params import ParamRegistry, load_set_file, parse_assignments

    out: dict[str, float] = {}
    if set_file is not None:
        out.update(load_set_file(set_file, ParamRegistry.load(setup.theater)))
    out.update(parse_assignments(set_items or []))
    return out


def _prepare(scenario: Path, observations: Path | None, full_window: bool) -> tuple[Any, Any, Any]:
    """Load and cross-check the scenario and its observations (`observations`, else the ones it
    names); cut the scenario to the last observation plus a day."""
    from sim.commands import scenario_file
    from sim.config import load_scenario
    from sim.observations import cut_setup, load_observations
    from sim.scenario_observations import observations_for

    setup = load_scenario(scenario_file(scenario))
    obs = load_observations(observations_for(setup, observations), setup)
    run_setup = setup if full_window else cut_setup(setup, obs.last_time())
    return setup, obs, run_setup


def _window_note(setup: Any, run_setup: Any) -> str:
    s, r = setup.scenario, run_setup.scenario
    if r.end == s.end:
        return f"window: {s.start.isoformat()} .. {s.end.isoformat()} ({s.hours} h)"
    return (
        f"window cut to the observations: {r.start.isoformat()} .. {r.end.isoformat()} "
        f"({r.hours} h of {s.hours}; last observation + 1 day; --full-window to run it all)"
    )


@input_errors
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    observations: Observations = None,
    replicates: Replicates = None,
    seed: Seed = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Results folder (default results/<scenario>-validation)"),
    ] = None,
    set_: SetItems = None,
    set_file: SetFile = None,
    workers: Workers = 1,
    full_window: Annotated[
        bool, typer.Option(help="Run the scenario's whole window, not just the observed days")
    ] = False,
    report: Annotated[
        bool, typer.Option(help="Write report.html (if the report is installed)")
    ] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Score a scenario against observed facts (share of replicates matching each, Brier/CRPS),
    next to a no-change baseline from each run's state at the observations' start."""
    from sim.commands import hold
    from sim.outdir import through_link
    from sim.results import claim_output
    from sim.validation import run_validation, write_validation

    setup, obs, run_setup = _prepare(scenario, observations, full_window)
    overrides = _overrides(set_, set_file, setup)  # checked before the folder is claimed
    folder = through_link(
        out if out is not None else Path("results") / f"{Path(scenario).stem}-validation"
    )
    hold(claim_output(folder, inputs=[setup.scenario_path, obs.path, set_file]))  # one writer
    typer.echo(_window_note(setup, run_setup), err=True)
    run = run_validation(
        setup, obs, replicates=replicates, seed=seed, overrides=overrides,
        workers=workers, full_window=full_window, progress=not quiet,
    )  # fmt: skip
    print_scores(
        run.scores, run.summary, title=f"{obs.data.title} ({run.replicates} replicates)",
        comparison=run.comparison, baseline_note=run.baseline_note,
    )  # fmt: skip
    write_validation(folder, run, report=report)
    typer.echo(f"results: {folder}  ({run.seconds:.1f} s)")


def _fmt(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None or v != v else f"{v:.{digits}f}"


def _window(row: Any) -> str:
    from datetime import datetime

    start, end = getattr(row, "window_start", None), getattr(row, "window_end", None)
    if not isinstance(start, str) or not isinstance(end, str):
        return ""
    a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return a.strftime("%d %b %H:%M") + ("" if a == b else b.strftime("..%d %b %H:%M"))


def print_scores(
    scores: Any,
    summary: dict[str, float],
    title: str,
    comparison: dict[str, Any] | None = None,
    baseline_note: str = "",
) -> None:
    """The terminal table: each fact's window, sample, model and baseline scores, then the
    overall scores and the skill against the no-change baseline."""
    from rich.console import Console
    from rich.table import Table

    baseline = "baseline_score" in scores.columns
    table = Table(title=title)
    columns = [
        ("id", "left"),
        ("window", "left"),
        ("observed", "left"),
        ("simulated", "left"),
        ("share", "right"),
        ("score", "right"),
    ]
    if baseline:
        columns += [("baseline share", "right"), ("baseline score", "right")]
    for col, just in columns:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for row in scores.itertuples():
        flag = " *" if row.after_ceasefire else ""
        kind = "Brier" if row.score_kind == "brier" else "CRPS/scale"
        cells = [
            f"{row.id}{flag}",
            _window(row),
            row.observed,
            row.simulated,
            f"{row.share_matching:.2f}",
            f"{_fmt(row.score)} {kind}",
        ]
        if baseline:
            cells += [_fmt(row.baseline_share_matching, 2), _fmt(row.baseline_score)]
        table.add_row(*cells)
    console = Console(width=180)
    console.print(table)
    console.print(
        f"model: overall score {_fmt(summary['score'])} (lower is better; 0 = every run matches every fact): "
        f"mean Brier {_fmt(summary['brier'])}, mean normalised CRPS {_fmt(summary['crps_normalised'])}, "
        f"mean share matching {_fmt(summary['share_matching'])} over {summary['observations']} observations"
    )
    if comparison:
        m, b, k = comparison["model"], comparison["baseline"], comparison["skill"]
        console.print(
            f"no-change baseline over the {comparison['facts_compared']} facts both score: "
            f"Brier {_fmt(b['brier'])} (model {_fmt(m['brier'])}), normalised CRPS "
            f"{_fmt(b['crps_normalised'])} (model {_fmt(m['crps_normalised'])}), share matching "
            f"{_fmt(b['share_matching'])} (model {_fmt(m['share_matching'])}), overall "
            f"{_fmt(b['score'])} (model {_fmt(m['score'])})"
        )
        console.print(
            f"skill 1 - model/baseline (> 0: the model beats 'nothing changes'): overall "
            f"{_fmt(k['score'])}, Brier {_fmt(k['brier'])}, CRPS {_fmt(k['crps_normalised'])}"
        )
    if baseline_note:
        console.print(baseline_note)
    if scores["after_ceasefire"].any():
        console.print(
            "* out of sample: dated after the ceasefire began, not for calibration (the others are in sample)"
        )


@input_errors
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    param: Annotated[
        list[str], typer.Option("--param", "-p", help="Parameter to fit: KEY=low:high (repeat)")
    ],
    observations: Observations = None,
    budget: Annotated[
        int,
        typer.Option(
            min=1,
            help="Candidate parameter sets to score (each runs all replicates); de scores whole "
            "populations, at least 5 sets, and both methods score the defaults too",
        ),
    ] = 40,
    replicates: Annotated[
        int,
        typer.Option(
            "--replicates", "-n", min=1, help="Replicates per candidate (same seeds for all)"
        ),
    ] = 4,
    seed: Seed = None,
    method: Annotated[
        str, typer.Option(help="de (differential evolution) or abc (rejection over a Sobol design)")
    ] = "de",
    accept: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="abc: share of the design kept as posterior (default 0.1)"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default results/<scenario>-calibration)"),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Fix a parameter while fitting: key=value")
    ] = None,
    set_file: Annotated[Path | None, typer.Option(help="YAML file of fixed overrides")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes to run candidates in")] = 1,
    full_window: Annotated[
        bool, typer.Option(help="Run the scenario's whole window, not just the observed days")
    ] = False,
    allow_after_ceasefire: Annotated[
        bool,
        typer.Option(
            help="Allow observations dated after the ceasefire began (breaks the out-of-sample test)"
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
    always_write: Annotated[
        bool, typer.Option(help="Write calibrated.yaml even when nothing beats the defaults")
    ] = False,
) -> None:
    """Fit parameters to observations (common random numbers); write calibrated.yaml."""
    from sim import calibration as cal
    from sim.commands import hold
    from sim.errors import InputError, Problem
    from sim.observations import check_in_sample
    from sim.outdir import through_link
    from sim.params import ParamRegistry
    from sim.progress import progress
    from sim.results import claim_output, staged_dir, versions, write_json, write_parquet
    from sim.runner import network_for
    from sim.validation import resolve_targets

    if method not in cal.METHODS:
        raise InputError(
            Problem(
                "--method", 1, 1, "method", f"expected one of {list(cal.METHODS)}, got {method!r}"
            )
        )
    if accept is not None and method != "abc":  # an option the method would ignore
        raise InputError(
            Problem("--accept", 1, 1, "accept", f"applies to --method abc, not {method}")
        )
    accept = 0.1 if accept is None else accept
    setup, obs, run_setup = _prepare(scenario, observations, full_window)
    if not allow_after_ceasefire:
        check_in_sample(obs, setup)
    ranges = cal.parse_param_ranges(param, ParamRegistry.load(setup.theater))
    fixed = _overrides(set_, set_file, setup)
    clash = sorted(set(fixed) & {r.key for r in ranges})
    if clash:
        raise InputError(
            Problem("--set", 1, 1, clash[0], "is both fixed (--set) and fitted (--param)")
        )
    seed = setup.scenario.seed if seed is None else seed
    folder = through_link(
        out if out is not None else Path("results") / f"{Path(scenario).stem}-calibration"
    )
    hold(claim_output(folder, inputs=[setup.scenario_path, obs.path, set_file]))  # one writer
    targets = resolve_targets(obs, run_setup, network_for(run_setup))
    typer.echo(_window_note(setup, run_setup), err=True)
    total = cal.planned_evaluations(budget, len(ranges), method) * replicates
    with progress(f"calibrate ({method})", total, enabled=not quiet) as update:
        result = cal.calibrate(
            run_setup, targets, ranges, budget=budget, replicates=replicates, seed=seed,
            method=method, base_overrides=fixed, workers=workers, accept=accept,
            on_progress=update,
        )  # fmt: skip
    print_calibration(result)
    if not result.best_score["score"] < result.default_score["score"] and not always_write:
        typer.echo(
            f"no improvement over the defaults (score {result.default_score['score']:.4f}, best "
            f"found {result.best_score['score']:.4f}): nothing written (--always-write to keep it)"
        )
        return

    header = [
        f"conflict-sim calibrate {scenario} --observations {obs.path} ({result.method}, "
        f"budget {budget}, {replicates} replicates, seed {seed})",
        f"score {result.best_score['score']:.4f} (defaults: {result.default_score['score']:.4f}); "
        "use with: conflict-sim run SCENARIO --set-file calibrated.yaml",
    ]
    summary = {
        "scenario": str(scenario),
        "observations": str(obs.path),
        "method": result.method,
        "budget": budget,
        "replicates": replicates,
        "seed": seed,
        "window_end": run_setup.scenario.end.isoformat(),
        "ranges": {r.key: [r.low, r.high] for r in ranges},
        "fixed": fixed,
        "best": result.best,
        "best_score": result.best_score,
        "default": result.default,
        "default_score": result.default_score,
        "evaluations": result.evaluations,
        "runs": result.runs,
        "seconds": round(result.seconds, 2),
        "posterior": result.posterior(),
        "details": result.details,
        "allow_after_ceasefire": allow_after_ceasefire,
        "versions": versions(),
        "status": "complete",
    }
    with staged_dir(folder) as tmp:
        (tmp / "calibrated.yaml").write_text(
            cal.set_file_text(result, fixed, header), encoding="utf-8"
        )
        write_json(summary, tmp / "calibration.json")
        write_parquet(result.history, tmp / "history.parquet")
    typer.echo(f"calibrated parameters: {folder / 'calibrated.yaml'}  ({result.seconds:.1f} s)")


def print_calibration(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Calibration ({result.method}, {result.evaluations} candidates, {result.runs} runs)"
    )
    for col in ("parameter", "range", "default", "best", "posterior 5%-95%"):
        table.add_column(col, justify="left" if col in ("parameter", "range") else "right")
    post = result.posterior()
    for r in result.ranges:
        p = post.get(r.key)
        table.add_row(
            r.key,
            f"[{r.low:g}, {r.high:g}]",
            f"{result.default[r.key]:.4g}",
            f"{result.best[r.key]:.4g}",
            f"{p['p05']:.4g}-{p['p95']:.4g}" if p else "",
        )
    console = Console(width=140)
    console.print(table)
    if result.accepted is not None:
        n = len(result.accepted)
        few = " (too few for a stable interval: raise --budget or --accept)" if n < 30 else ""
        console.print(f"ABC posterior from {n} accepted samples{few}", highlight=False)
    b, d = result.best_score, result.default_score

    def parts(s: dict) -> str:  # a kind of fact the observations do not have scores nothing
        kinds = [(k, s[v]) for k, v in (("Brier", "brier"), ("CRPS/scale", "crps_normalised"))]
        return ", ".join(f"{k} {v:.3f}" for k, v in kinds if v == v) or "no facts scored"

    console.print(
        f"score: best {b['score']:.4f} ({parts(b)}) vs defaults {d['score']:.4f} ({parts(d)}), "
        "same seeds",
        highlight=False,
    )
