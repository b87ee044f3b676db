"""The `distsafe` command.

Length (over ~400 lines): one typer app whose commands are mostly their option declarations; each
command's work lives in scenarios/ and analysis/. Splitting it by command is the next step when it grows.

distsafe run SCENARIO [--epochs N] [--seed S] [--override a.b=v ...] [--out DIR] [--log-format F]
             [--sign KEYFILE]
distsafe replay LOG [--verify] [--pubkey PUBFILE] [--allow-class module:Class ...]
distsafe keygen KEYFILE
distsafe scenarios list
distsafe compare [SCENARIO ...] [--seeds 10]
distsafe calibrate SCENARIO [--seeds 10] [--out FILE] [--plot PNG]
distsafe levers [SCENARIO] [--seeds 20] [--markdown] [--plot PNG] [--json FILE] [--workers N]
distsafe economy serve|run ...
distsafe sweep SPEC.yaml --out DIR [--executor local|dask|ray] | sweep report DIR  (experiments/cli.py)
distsafe dashboard [RUN_DIR | SWEEP_DIR] [--port N] [--host H]; distsafe report RUN_DIR [--out FILE.html]

(Over 400 lines on purpose: every command is a thin wrapper over scenarios/, eventlog/ and analysis/, and
they sit together with `main`, whose one-line error handling and exit statuses cover them all.)
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from distsafe.cli_detection import detection as _detection_command
from distsafe.cli_motifs import motifs as _motifs_command
from distsafe.experiments.cli import sweep_app
from distsafe.textsafe import markup

if TYPE_CHECKING:
    from distsafe.scenarios.runner import RunResult
    from distsafe.scenarios.spec import ScenarioSpec

app = typer.Typer(
    help="distsafe: distributional safety in multi-agent systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios_app = typer.Typer(help="Shipped scenarios.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(sweep_app, name="sweep")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """Anything a user can fix: shown as one line, exit status 2."""


#: exit status of an unexpected exception (EX_SOFTWARE): one line and a request to report it
INTERNAL_ERROR = 70


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def _set_limits(items: list[str]) -> None:
    """`--limit NAME=N`: the caps in force for this process (as if DISTSAFE_<NAME> were set)."""
    if not items:
        return
    import os

    from distsafe.core.limits import Limits

    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--limit {item!r} must look like NAME=N (e.g. max_agents=5000000)")
        pairs[name.strip()] = value
    try:
        caps = Limits.current(pairs)
    except ValueError as e:
        raise UserError(str(e)) from None
    for name in pairs:
        os.environ[Limits.env_name(name)] = str(getattr(caps, name))


def _load(
    scenario: str, overrides: list[str], epochs: int | None, seed: int | None, lenient: bool = False
) -> ScenarioSpec:
    from distsafe.scenarios import load_scenario

    ov = list(overrides)
    if epochs is not None:
        ov.append(f"simulation.n_epochs={epochs}")
    if seed is not None:
        ov.append(f"simulation.seed={seed}")
    return load_scenario(scenario, ov, lenient=lenient)


def _report_table(result: RunResult) -> Table:
    s = result.summary
    t = Table(
        title=f"{markup(result.spec.scenario_id, 120)}: {s['epochs']} epochs, {s['n_agents']} agents, "
        f"{s['n_interactions']} interactions"
    )
    t.add_column("metric")
    t.add_column("value", justify="right")
    last = result.metrics[-1].to_dict() if result.metrics else {}
    rows = [
        ("avg toxicity E[1-p | accepted]", s["avg_toxicity"]),
        ("avg realized harm P(v=-1 | accepted)", s.get("avg_realized_harm", float("nan"))),
    ]
    rows += [(f"realized harm, initiated by {k[5:]}", v) for k, v in s.items() if k.startswith("harm_")]
    rows += [
        ("avg quality gap", s["avg_quality_gap"]),
        ("avg quality gap, rejections by choice only", s.get("avg_quality_gap_by_choice", float("nan"))),
        ("rejected by choice / counterparty frozen",
         f"{s.get('rejected_by_choice', 0)} / {s.get('rejected_frozen', 0)}"),
        ("final hard toxicity (p < 0.5)", last.get("hard_toxicity_rate", float("nan"))),
        ("welfare / epoch (sum of payoffs)", s["welfare_per_epoch"]),
        ("  money / reputation terms", f"{_fmt(s.get('welfare_money_per_epoch', float('nan')))} / "
         f"{_fmt(s.get('welfare_reputation_per_epoch', float('nan')))}"),
        ("bad actor payoff (mean)", s["bad_actor_payoff"]),
    ]  # fmt: skip
    rows += [(f"payoff {k[7:]} (mean)", v) for k, v in s.items() if k.startswith("payoff_")]
    rows += [
        ("final brier", last.get("brier", float("nan"))),
        ("final ECE", last.get("ece", float("nan"))),
        ("freezes (total)", s.get("frozen_ever", 0)),
        ("bad actors frozen (agents)", s.get("bad_actors_frozen", 0)),
    ]
    rows += [
        (f"frozen {k[7:]} (agents)", v)
        for k, v in s.items()
        if k.startswith("frozen_") and k != "frozen_ever"
    ]
    gov = result.spec.governance
    from distsafe.governance.registry import enabled_levers  # lazy: the CLI starts without the engine

    if enabled_levers(gov):
        rows += [
            (f"governance revenue ({gov.revenue_destination})", s.get("governance_revenue", 0.0)),
        ]
        if gov.revenue_destination == "public_pool":
            rows.append(("public pool", s.get("public_pool", 0.0)))
    from distsafe.governance.registry import LEVERS_BY_SWITCH

    rows += [(k.replace("_", " "), s[k]) for lever in LEVERS_BY_SWITCH for k in lever.report if k in s]
    usage = result.orchestrator.get_llm_usage_stats()
    if usage:
        from distsafe.llm.cost import total_usage

        tot = total_usage(usage)
        rows += [
            ("LLM requests", tot["total_requests"]),
            ("LLM tokens in / out", f"{tot['input_tokens']} / {tot['output_tokens']}"),
            ("LLM repairs / no-ops", f"{tot['repairs']} / {tot['noops']}"),
            ("LLM estimated cost (USD)", f"{tot['estimated_cost_usd']:.4f}"),
        ]
        from distsafe.llm.decisions import report_rows

        rows += report_rows(usage)
    for name in result.spec.metrics_to_track:  # the scenario's metrics_to_track: final and mean over epochs
        series = [m.to_dict().get(name, float("nan")) for m in result.metrics]
        finite = [float(v) for v in series if isinstance(v, int | float) and v == v]
        mean = sum(finite) / len(finite) if finite else float("nan")
        rows.append(
            (
                f"tracked {name} (final / mean)",
                f"{_fmt(series[-1] if series else float('nan'))} / {_fmt(mean)}",
            )
        )
    for name, value in rows:
        t.add_row(markup(name), markup(_fmt(value)))
    return t


def _criteria_table(result: RunResult) -> Table | None:
    if not result.criteria:
        return None
    t = Table(title="success criteria")
    t.add_column("criterion")
    t.add_column("result")
    t.add_column("detail")
    for name, ok, detail in result.criteria:
        t.add_row(markup(name), "[green]PASS[/green]" if ok else "[red]FAIL[/red]", markup(detail))
    return t


@app.command()
def run(
    scenario: str = typer.Argument(..., help="a scenario file, or the name of a shipped scenario"),
    epochs: int | None = typer.Option(None, "--epochs", help="override simulation.n_epochs"),
    seed: int | None = typer.Option(None, "--seed", help="override simulation.seed"),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value (repeatable)"),
    out: Path | None = typer.Option(
        None, "--out", "--output", help="run folder (log, metrics, manifest); --output is the seeds' name"
    ),
    log_format: str | None = typer.Option(None, "--log-format", help="jsonl (default) or parquet"),
    check: bool = typer.Option(False, "--check", help="exit 3 if a success criterion fails"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    limit: list[str] = typer.Option(
        [], "--limit", help="raise or lower a cap: NAME=N, e.g. max_agents=5000000 (see docs/scenarios.md)"
    ),
    sign: Path | None = typer.Option(
        None, "--sign", help="sign the run with this secret key (distsafe keygen); needs --out"
    ),
    lenient: bool = typer.Option(
        False,
        "--lenient",
        help="ignore fields of the reference implementation's features that distsafe lacks (listed in one "
        "warning and in the manifest; docs/from-swarm.md)",
    ),
) -> None:
    """Run a scenario and print the safety report."""
    from distsafe.scenarios.runner import run_scenario

    _set_limits(limit)
    if log_format not in (None, "jsonl", "parquet"):
        raise UserError(f"--log-format must be jsonl or parquet, not {log_format!r}")
    sign_key = None
    if sign is not None:
        if out is None:
            raise UserError("--sign needs --out: the signature is written into the run folder")
        from distsafe.scenarios.signing import load_signing_key

        sign_key = load_signing_key(sign)
    spec = _load(scenario, override, epochs, seed, lenient)
    if spec.ignored_fields:
        err_console.print(
            f"[yellow]warning:[/yellow] --lenient ignored {len(spec.ignored_fields)} field(s) of features "
            f"distsafe does not have: {markup('; '.join(spec.ignored_fields), 4000)}",
            highlight=False,
        )
    total_steps = spec.simulation.n_epochs * spec.simulation.steps_per_epoch
    counters = {"n": 0, "t0": time.perf_counter()}
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )

    with progress:
        task = progress.add_task(
            f"{markup(spec.scenario_id, 80)} ({spec.n_agents} agents)", total=total_steps, rate=""
        )

        def on_step(epoch: int, step: int, n: int) -> None:
            counters["n"] += n
            dt = max(time.perf_counter() - counters["t0"], 1e-9)
            progress.update(task, advance=1, rate=f"epoch {epoch} | {counters['n'] / dt:,.0f} interactions/s")

        try:
            result = run_scenario(spec, out, log_format, on_step=on_step, sign_key=sign_key)
        except KeyboardInterrupt:
            progress.stop()
            where = f"; {markup(out)} holds the log so far, marked simulation_interrupted" if out else ""
            err_console.print(f"[yellow]interrupted[/yellow]{where}", highlight=False)
            raise typer.Exit(130) from None
    for line in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {markup(line)}", highlight=False)
    console.print(_report_table(result))
    ct = _criteria_table(result)
    if ct is not None:
        console.print(ct)
    if out is not None:
        console.print(f"run folder: {markup(out)} ({', '.join(result.files)})", highlight=False)
        if "metrics.png" not in result.files:
            err_console.print(
                "note: no metrics.png: the plot needs matplotlib, pip install 'distsafe\\[analysis]' "
                "(or `distsafe report DIR` with the \\[dashboard] extra)",
                highlight=False,
            )
    if check and not result.passed:
        raise typer.Exit(3)


@app.command()
def replay(
    log: Path = typer.Argument(..., help="an event log (events.jsonl or events.parquet.d)"),
    verify: bool = typer.Option(False, "--verify", help="re-run and prove identical events and metrics"),
    pubkey: Path | None = typer.Option(
        None, "--pubkey", help="check the run's signature against this public key file (KEY.pub)"
    ),
    allow_class: list[str] = typer.Option(
        [],
        "--allow-class",
        help="an agent class of your own (module:Class) that --verify may rebuild; repeatable. Only for "
        "code you trust: the class is imported and run",
    ),
) -> None:
    """Read a run's event log: per-epoch metrics rebuilt from the log alone; --verify re-runs it.

    A log is data: --verify rebuilds only distsafe's own agent types (and classes given with
    --allow-class), never code the log names."""
    from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
    from distsafe.eventlog import log_info
    from distsafe.metrics.soft_metrics import SoftMetrics

    if not log.exists():
        raise UserError(f"{log}: no such log")
    from distsafe.agents.registry import check_class_name

    for name in allow_class:
        try:
            check_class_name(name)
        except ValueError as e:
            raise UserError(f"--allow-class: {e}") from None
    public_key = None
    if pubkey is not None:
        from distsafe.scenarios.signing import load_public_key

        public_key = load_public_key(pubkey)
    # The chain is verified here (every hash and batch digest) without building one Event per line.
    read = log_info(log)
    if not read.complete:
        err_console.print(f"[yellow]{markup(read.message)}[/yellow]", highlight=False)
    h = read.header
    console.print(
        f"log {markup(log)}: scenario {markup(h.get('scenario'), 120)}, seed {markup(h.get('seed'), 40)}, "
        f"distsafe {markup(h.get('distsafe_version'), 40)}, {read.n_events} events, hash chain intact",
        highlight=False,
    )
    payoff = SoftPayoffEngine(PayoffConfig.model_validate(h.get("config", {}).get("payoff_config", {})))
    from distsafe.eventlog import batches_by_epoch

    t = Table(title="per-epoch metrics rebuilt from the log")
    for col in ("epoch", "interactions", "accepted", "toxicity", "realized harm", "quality gap", "welfare"):
        t.add_column(col, justify="right")
    sm = SoftMetrics(payoff)
    for epoch, (batch, _ids) in sorted(batches_by_epoch(log).items()):
        m = sm.compute_epoch(batch)
        t.add_row(
            markup(epoch),
            _fmt(int(m["n_interactions"])),
            _fmt(int(m["n_accepted"])),
            _fmt(m["toxicity_rate"]),
            _fmt(m["realized_harm"]),
            _fmt(m["quality_gap"]),
            _fmt(m["total_welfare"]),
        )
    console.print(t)
    if public_key is not None and not verify:
        from distsafe.scenarios.signing import check_signature

        sig = check_signature(log, read.last_hash, read.n_events, public_key)
        if not sig.ok:
            console.print(f"[red]SIGNATURE INVALID[/red] {markup(sig.message)}", highlight=False)
            raise typer.Exit(1)
        console.print(f"[green]SIGNED[/green] {markup(sig.message)}", highlight=False)
    if verify:
        from distsafe.scenarios.runner import verify_log

        res = verify_log(log, allow_classes=allow_class, pubkey=public_key)
        for note in res.notes:
            console.print(f"checked: {markup(note)}", highlight=False)
        if res.ok:
            console.print(f"[green]VERIFIED[/green] {markup(res.message)}", highlight=False)
        else:
            console.print(f"[red]NOT REPRODUCED[/red] {markup(res.message)}", highlight=False)
            raise typer.Exit(1)


@app.command()
def keygen(
    keyfile: Path = typer.Argument(
        ..., help="where to write the secret key; the public key goes to KEYFILE.pub"
    ),
) -> None:
    """Make an Ed25519 key pair for signing runs (distsafe run --sign KEYFILE)."""
    from distsafe.scenarios.signing import fingerprint
    from distsafe.scenarios.signing import keygen as make_keys

    pub_path, public = make_keys(keyfile)
    console.print(f"secret key: {markup(keyfile)} (mode 0600; keep it private)", highlight=False)
    console.print(
        f"public key: {markup(pub_path)} (fingerprint {fingerprint(public)}); give it to whoever checks "
        "your runs: distsafe replay LOG --verify --pubkey " + markup(pub_path.name),
        highlight=False,
    )


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the shipped scenarios."""
    from distsafe.scenarios import list_scenarios, load_scenario

    t = Table(title="shipped scenarios (run one with: distsafe run NAME)")
    for col in ("name", "agents", "epochs x steps", "levers", "description"):
        t.add_column(col)
    for name, path in list_scenarios().items():
        spec = load_scenario(path)
        agents = ", ".join(f"{a.count} {a.type}" for a in spec.agents)
        from distsafe.governance.registry import enabled_levers  # lazy: the CLI starts without the engine

        levers = ", ".join(enabled_levers(spec.governance)) or "none"
        t.add_row(
            markup(name),
            markup(agents),
            f"{spec.simulation.n_epochs} x {spec.simulation.steps_per_epoch}",
            markup(levers),
            markup(spec.description),
        )
    console.print(t)


@app.command()
def compare(
    scenarios: list[str] = typer.Argument(None, help="scenarios to compare (default: the seed's three)"),
    seeds: int = typer.Option(10, "--seeds", min=1, help="seeds per scenario"),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value applied to every scenario"),
    seed_base: int = typer.Option(0, "--seed-base", min=0, help="seeds used: seed-base .. seed-base+seeds-1"),
    markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table instead"),
    plot: Path | None = typer.Option(None, "--plot", help="also draw the comparison to this PNG"),
) -> None:
    """The seeds' Scenario Comparison: mean and 95% CI over seeds for each scenario."""
    from distsafe.analysis.compare import compare_scenarios, comparison_table

    names = scenarios or ["baseline", "status_game", "strict_governance"]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console if markdown else console,
    ) as prog:
        task = prog.add_task("runs", total=len(names) * seeds)
        rows = compare_scenarios(
            names, seeds, override, on_run=lambda: prog.advance(task), seed_base=seed_base
        )
    if markdown:
        from distsafe.analysis.compare import comparison_markdown

        print(comparison_markdown(rows, seeds))
    else:
        console.print(comparison_table(rows, seeds))
    if plot is not None:
        from distsafe.analysis.plots import plot_comparison

        if plot_comparison(rows, plot, seeds) is None:
            raise UserError("--plot needs matplotlib: pip install 'distsafe[analysis]'")
        err_console.print(f"plot: {plot}")


@app.command()
def calibrate(
    scenario: str = typer.Argument(..., help="a scenario file, or the name of a shipped scenario"),
    seeds: int = typer.Option(10, "--seeds", min=1, help="calibration runs (seeds seed-base ..)"),
    seed_base: int = typer.Option(0, "--seed-base", min=0, help="first seed of the calibration runs"),
    rounds: int = typer.Option(2, "--rounds", min=1, help="fit, re-run with the fit, fit again"),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value (repeatable)"),
    out: Path | None = typer.Option(None, "--out", help="write the scenario with the fitted proxy block"),
    plot: Path | None = typer.Option(None, "--plot", help="draw the calibration curves to this PNG"),
) -> None:
    """Fit the proxy's calibration p = sigmoid(k * v_hat + b) on honest-signal runs of a scenario."""
    import yaml

    from distsafe.analysis.calibrate import calibrated_scenario_data, fit_calibration

    spec = _load(scenario, override, None, None)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console
    ) as prog:
        task = prog.add_task("calibration runs", total=seeds * (rounds + 1))
        res = fit_calibration(spec, seeds, seed_base, rounds, on_run=lambda: prog.advance(task))
    t = Table(title=f"calibration of {res.scenario}: seeds {res.seeds[0]}..{res.seeds[-1]}")
    t.add_column("")
    t.add_column("value", justify="right")
    for name, value in (
        ("interactions (honest signals)", res.n),
        ("share with v = +1", res.base_rate),
        ("fitted sigmoid_k", res.k),
        ("fitted sigmoid_bias", res.bias),
        ("ECE, seeds' sigmoid (k=2, b=0)", res.ece_seed),
        ("ECE, the scenario's proxy", res.ece_scenario),
        ("ECE, fitted (in sample)", res.ece_fitted),
        (f"ECE, fitted, signal gaming on ({res.n_gaming} interactions)", res.ece_gaming),
    ):
        t.add_row(name, _fmt(value))
    console.print(t)
    block = res.proxy_block()
    console.print(f"proxy: {{sigmoid_k: {block['sigmoid_k']}, sigmoid_bias: {block['sigmoid_bias']}}}")
    if out is not None:
        data = calibrated_scenario_data(spec, res)
        try:
            out.write_text(yaml.safe_dump(data, sort_keys=False))
        except OSError as e:
            raise UserError(f"{out}: cannot write ({e.strerror})") from None
        err_console.print(f"scenario with the fitted proxy block: {out}")
    if plot is not None:
        from distsafe.analysis.plots import plot_calibration

        if plot_calibration(res.curves, plot, f"{res.scenario}: calibration over {seeds} seeds") is None:
            raise UserError("--plot needs matplotlib: pip install 'distsafe[analysis]'")
        err_console.print(f"plot: {plot}")


@app.command()
def levers(
    scenario: str = typer.Argument("baseline", help="the base scenario (a file or a shipped name)"),
    seeds: int = typer.Option(20, "--seeds", help="seeds 0..N-1 for every arm, paired by seed (N >= 2)"),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value applied to every arm"),
    workers: int | None = typer.Option(
        None, "--workers", help="processes for the runs (default min(2, cpu))"
    ),
    markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table instead"),
    plot: Path | None = typer.Option(None, "--plot", help="draw the changes with their CIs to this PNG"),
    json_out: Path | None = typer.Option(None, "--json", help="write every sample and change to this file"),
) -> None:
    """The lever study: each lever alone and the seed scenarios against the base, paired by seed, 95% t CIs
    (docs/levers.md)."""
    import json

    from distsafe.analysis import lever_study as ls

    if seeds < 2:
        raise UserError(f"--seeds must be at least 2 (a paired t interval needs two pairs), not {seeds}")
    n_workers = ls.default_workers() if workers is None else workers
    if n_workers < 1:
        raise UserError(f"--workers must be at least 1, not {n_workers}")
    total = ls.run_count(seeds, ls.check_arms(scenario, override))  # a bad input fails here, in one line
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console,
    ) as prog:  # fmt: skip
        task = prog.add_task(f"lever study ({n_workers} workers)", total=total)
        study = ls.run_lever_study(scenario, seeds, override, n_workers, on_run=lambda: prog.advance(task))
    if markdown:
        print(ls.study_markdown(study))
    else:
        header, rows = ls.table_rows(study)
        t = Table(title=ls.caption(study))
        for i, col in enumerate(header):
            t.add_column(col, justify="right" if 1 < i < len(header) - 1 else "left")
        for row in rows:
            t.add_row(*row)
        console.print(t)
        for i, (name, w) in enumerate(ls.notes_of(study), 1):
            console.print(f"[{i}] {name}: {w}", highlight=False, markup=False)
        console.print('Seed plan criterion "at least two levers measurably reduce toxicity":')
        for line in ls.criterion_lines(study):
            console.print(f"  {line}", highlight=False, markup=False)
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(study.to_json(), indent=1) + "\n")
        except OSError as e:
            raise UserError(f"{json_out}: cannot write ({e.strerror})") from None
        err_console.print(f"json: {json_out}")
    if plot is not None:
        from distsafe.analysis.plots import plot_lever_study

        if plot_lever_study(ls.plot_series(study), plot, ls.caption(study)) is None:
            raise UserError("--plot needs matplotlib: pip install 'distsafe[analysis]'")
        err_console.print(f"plot: {plot}")


def _mount_economy() -> None:
    # economy.cli imports its heavy dependencies (FastAPI, uvicorn, PyNaCl) inside the commands; a missing
    # [economy] extra surfaces as a one-line ModuleNotFoundError message from main().
    from distsafe.economy.cli import app as economy_app

    app.add_typer(economy_app, name="economy", help="The token economy: ledger engine, HTTP API, turn loop.")


_mount_economy()
app.command(name="detection")(_detection_command)
app.command(name="motifs")(_motifs_command)  # seed 002's motif diffusion from a log (docs/motifs.md)


def _mount_redteam() -> None:
    from distsafe.redteam.cli import redteam  # the command imports the engine when it runs

    app.command("redteam")(redteam)


_mount_redteam()


def _mount_dashboard() -> None:
    # `distsafe dashboard` and `distsafe report` (distsafe.dashboard.commands; streamlit and plotly are
    # imported inside them, so a missing [dashboard] extra is one line from main())
    from distsafe.dashboard.commands import register

    register(app)


_mount_dashboard()


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes end with one line and exit status 2, never a traceback."""
    from pydantic import ValidationError

    from distsafe.scenarios.loader import ScenarioError

    try:
        from distsafe.eventlog import EventLogError
    except ImportError:  # pragma: no cover
        EventLogError = ScenarioError  # type: ignore[misc,assignment]
    known: tuple[type[BaseException], ...] = (
        UserError,
        ScenarioError,
        EventLogError,
        ValidationError,
        FileNotFoundError,
        PermissionError,
    )
    try:
        from distsafe.llm import LLMError

        known = known + (LLMError,)
    except ImportError:
        pass
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int):  # click returns the code of a typer.Exit when not standalone
            return rv
    except known as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if isinstance(e, ValidationError):
            first = e.errors()[0]
            msg = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        err_console.print(f"[red]error:[/red] {markup(msg)}", highlight=False, soft_wrap=True)
        return 2
    except MemoryError:  # numpy could not allocate: one line, not a traceback
        err_console.print(
            "[red]error:[/red] out of memory: the run is too large for this machine "
            "(fewer agents, epochs or steps; see the caps in docs/scenarios.md)",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) else 1
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]")
        return 130
    except ModuleNotFoundError as e:  # an optional dependency of the command is not installed
        extra = {
            "fastapi": "economy",
            "uvicorn": "economy",
            "nacl": "economy",  # PyNaCl is a base dependency now; an old install may lack it
            "httpx": "economy",
            "pyarrow": "parquet",
            "matplotlib": "analysis",
            "streamlit": "dashboard",
            "plotly": "dashboard",
            "anthropic": "llm",
            "openai": "llm",
            "dask": "sweep",
            "distributed": "sweep",
            "ray": "sweep",
        }.get((e.name or "").split(".")[0], "all")
        err_console.print(
            f"[red]error:[/red] {e.name} is not installed: pip install 'distsafe\\[{extra}]'",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except typer.Abort:
        return 1
    except OSError as e:  # the disk is full, a path is a file, ...: the environment, not the input
        where = f"{e.filename}: " if e.filename else ""
        err_console.print(
            f"[red]error:[/red] {markup(where + (e.strerror or str(e) or type(e).__name__))}",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except Exception as e:
        show = getattr(e, "show", None)
        if callable(show) and hasattr(e, "exit_code"):  # usage errors from the command-line parser
            show()
            return 2
        if os.environ.get("DISTSAFE_DEBUG") == "1":
            raise
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        what = type(e).__name__ + (f": {text}" if text else "")
        err_console.print(
            f"[red]error:[/red] internal error: {markup(what, 300)} "
            "(a bug in distsafe: please report it; DISTSAFE_DEBUG=1 shows the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        return INTERNAL_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
