"""`distsafe economy serve` and `distsafe economy run`."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from distsafe.economy.config import WorldConfig

app = typer.Typer(
    help="Token economy: a ledger engine (mine/stake/burn, contracts, inference billing) "
    "behind an HTTP API, and a turn loop of scripted or LLM agents.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)
TOKEN_ENV = "DISTSAFE_ECONOMY_ADMIN_TOKEN"


def _fail(msg: str) -> NoReturn:
    # one line, printed as plain text: a message may hold brackets that Rich would read as markup
    err_console.print(Text.assemble(("error:", "red"), " ", " ".join(msg.split())), soft_wrap=True)
    raise typer.Exit(1)


def _db_has_world(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        con = sqlite3.connect(path)
        try:
            return bool(con.execute("SELECT 1 FROM meta WHERE key='config'").fetchone())
        finally:
            con.close()
    except sqlite3.Error:
        return False


@app.command()
def serve(
    db: Path = typer.Option(Path("sim.db"), help="SQLite ledger file (created if missing)."),
    port: int = typer.Option(3000, min=1, max=65535),
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    admin_token: str | None = typer.Option(None, envvar=TOKEN_ENV, help="Token for /init and /turn."),
    debug_commit_delay: float = typer.Option(0.0, hidden=True, help="Crash tests: hold each turn's commit."),
    max_body_bytes: int = typer.Option(1024 * 1024, min=1, help="Largest request body (bigger: 413)."),
    max_actions_per_turn: int = typer.Option(10_000, min=1, help="Most actions in one turn (more: 413)."),
    max_actions_per_agent: int = typer.Option(
        64, min=1, help="Most actions of one agent in a turn (the units past it are rejected)."
    ),
) -> None:
    """Run the engine's HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from distsafe.economy.server import create_app

    token = admin_token or secrets.token_hex(16)
    if not admin_token:
        console.print(f"admin token (Authorization: Bearer ...): [bold]{token}[/bold]")
    try:
        application = create_app(
            db,
            token,
            commit_delay_s=debug_commit_delay,
            max_body_bytes=max_body_bytes,
            max_actions_per_turn=max_actions_per_turn,
            max_actions_per_agent=max_actions_per_agent,
        )
    except (sqlite3.Error, ValueError) as exc:
        _fail(f"cannot open ledger {db}: {exc}")
    console.print(f"engine on http://{host}:{port}  ledger {db}")
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _strategies(
    n: int,
    seed: int,
    mix: str,
    llm_provider: str | None,
    llm_model: str,
    llm_agents: int,
    llm_base_url: str | None,
) -> dict[str, Any]:
    from distsafe.economy.strategies import STRATEGIES, assign_strategies

    names = tuple(m.strip() for m in mix.split(",") if m.strip())
    bad = [m for m in names if m not in STRATEGIES]
    if not names or bad:
        _fail(f"unknown strategy {bad[0] if bad else mix!r}; choose from {', '.join(sorted(STRATEGIES))}")
    ids = [f"agent_{i}" for i in range(n)]
    strategies: dict[str, Any] = dict(assign_strategies(ids, seed, names))
    if llm_agents:
        if not llm_provider:
            _fail("--llm-agents needs --llm-provider")
        try:
            from distsafe.llm import create_provider
        except ImportError as exc:
            _fail(f"the LLM provider layer is not available: {exc}")
        from distsafe.economy.dry_run_responder import economy_responder
        from distsafe.economy.llm_strategy import LLMStrategy

        options: dict[str, Any] = {}
        if llm_provider.strip().lower().replace("-", "_") == "dry_run":
            options["responder"] = economy_responder  # valid economy actions from the agent's prompt
        try:
            client = create_provider(llm_provider, base_url=llm_base_url, **options)
        except Exception as exc:
            _fail(f"cannot create LLM provider {llm_provider!r}: {exc}")
        for aid in ids[: min(llm_agents, n)]:
            strategies[aid] = LLMStrategy(client, llm_provider, llm_model)
    return strategies


def _read_world_config(path: Path) -> WorldConfig:
    """The --config JSON as a validated `WorldConfig` (its seed, if given, overrides --seed)."""
    from pydantic import ValidationError

    from distsafe.economy.config import WorldConfig, config_error

    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"cannot read world config {path}: {exc}")
    if not isinstance(data, dict):
        _fail(f"world config {path} must be a JSON object")
    try:
        return WorldConfig.model_validate(data)
    except ValidationError as exc:
        _fail(f"world config {path}: {config_error(exc)}")


def _print_report(rep: Any) -> None:
    t = Table(title=f"Economy after {rep.turns} turns, {rep.agents} agents")
    for col in ("agent", "balance", "staked", "burn score", "study", "cores", "blocks"):
        t.add_column(col, justify="right" if col != "agent" else "left")
    rows = rep.balances if len(rep.balances) <= 12 else rep.balances[:6] + rep.balances[-6:]
    for a in rows:
        t.add_row(
            a["agent_id"],
            str(a["balance"]),
            str(a["staked"]),
            f"{a['burn_score']:.1f}",
            str(a["study_level"]),
            str(a["cores"]),
            str(a["blocks_won"]),
        )
    console.print(t)
    s = rep.supply
    console.print(
        f"supply {s['total']} = minted {s['minted']} - burned {s['burned']} - destroyed interest "
        f"{s['destroyed_interest']}  (invariant {'ok' if s['invariant_ok'] else 'BROKEN'})"
    )
    console.print("blocks by kind: " + ", ".join(f"{k} {v}" for k, v in rep.blocks_by_kind.items()))
    console.print(
        "contracts by status: "
        + (", ".join(f"{k} {v}" for k, v in rep.contracts_by_status.items()) or "none")
    )
    console.print(f"actions accepted {rep.accepted}, rejected {rep.rejected}")
    if rep.llm is not None:
        m = rep.llm
        console.print(
            f"LLM agents {m['agents']}: LLM calls {m['calls']}, failed {m['failures']}; "
            f"their actions accepted {m['accepted']}, rejected {m['rejected']}",
            highlight=False,
        )
    for reason, n in list(rep.rejection_reasons.items())[:8]:
        console.print(f"  {n:6d}  {reason}")


@app.command()
def run(
    agents: int = typer.Option(8, min=2, help="Number of agents."),
    turns: int = typer.Option(50, min=1, help="Number of turns."),
    seed: int = typer.Option(0, min=0, help="World and strategy seed."),
    db: Path = typer.Option(Path("sim.db"), help="Ledger file of the embedded engine."),
    engine_url: str | None = typer.Option(None, help="Use a running engine at this URL instead."),
    admin_token: str | None = typer.Option(None, envvar=TOKEN_ENV, help="Admin token (remote engine)."),
    config: Path | None = typer.Option(None, help="JSON file with world config overrides."),
    mix: str = typer.Option(
        "miner,staker,trader,miner,pool_organiser,staker,trader,cheater",
        help="Strategies assigned round-robin.",
    ),
    llm_provider: str | None = typer.Option(None, help="dry_run | openai | anthropic | ollama"),
    llm_model: str = typer.Option("gemma3:27b", help="Model for LLM agents."),
    llm_agents: int = typer.Option(0, min=0, help="How many agents (the first ones) use the LLM."),
    llm_base_url: str | None = typer.Option(None, help="Provider base URL."),
    force: bool = typer.Option(False, help="Overwrite a world already in --db (or on the remote engine)."),
    report_json: Path | None = typer.Option(None, help="Also write the end report as JSON."),
    continue_on_llm_error: bool = typer.Option(
        False,
        help="When an LLM agent's model cannot be asked, let the agent lose that turn and go on (failures "
        "are counted in the report) instead of failing the run.",
    ),
) -> None:
    """Run a simulation: init the world, play the turns, print balances, supply, blocks and contracts."""
    from distsafe.economy.client import EconomyAPIError, EconomyClient
    from distsafe.economy.turn_loop import LLMCallError, TurnLoop

    world_cfg = None if config is None else _read_world_config(config)
    strategies = _strategies(agents, seed, mix, llm_provider, llm_model, llm_agents, llm_base_url)
    if engine_url is None and _db_has_world(db) and not force:
        _fail(f"{db} already holds a world; pass --force to overwrite it or choose another --db")

    async def go() -> Any:
        if engine_url:
            client = EconomyClient(base_url=engine_url, admin_token=admin_token or os.environ.get(TOKEN_ENV))
        else:
            from distsafe.economy.server import create_app

            token = secrets.token_hex(16)
            # caps sized to the run, so the turn loop's own turns always fit
            application = create_app(
                db,
                token,
                max_body_bytes=max(1024 * 1024, agents * 16 * 1024),
                max_actions_per_turn=max(10_000, agents * 80),
            )
            client = EconomyClient(app=application, admin_token=token)
        async with client:
            loop = TurnLoop(
                client,
                strategies,
                seed=seed,
                world_config=world_cfg,
                stop_on_llm_error=not continue_on_llm_error,
            )
            # embedded: the --db check above already guards an existing world; remote: only with --force
            await loop.setup(force=True if engine_url is None else force)
            with Progress(
                TextColumn("[bold]turn"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[info]}"),
                console=console,
                transient=False,
            ) as prog:
                task = prog.add_task("turns", total=turns, info="")

                def tick(turn: int, result: dict[str, Any]) -> None:
                    prog.update(
                        task,
                        advance=1,
                        info=f"supply {result['supply']['total']}, rejected {result['rejected']}",
                    )

                return await loop.run(turns, progress=tick)

    try:
        rep = asyncio.run(go())
    except LLMCallError as exc:
        _fail(f"{exc} (pass --continue-on-llm-error to let the agent lose the turn and go on)")
    except EconomyAPIError as exc:
        hint = " (use --force to reset the remote world)" if exc.status == 409 and engine_url else ""
        _fail(f"engine refused: {exc}{hint}")
    except OSError as exc:
        _fail(f"cannot reach the engine: {exc}")
    except Exception as exc:  # httpx transport errors and the like: one line, no traceback
        _fail(f"{type(exc).__name__}: {exc}")
    _print_report(rep)
    if report_json is not None:
        report_json.write_text(json.dumps(rep.to_dict(), indent=2))
        console.print(f"report written to {report_json}")
    if engine_url is None:
        from distsafe.economy.bridge import export_interactions, soft_summary

        soft = soft_summary(export_interactions(db))
        console.print(
            f"soft labels (bridge): {soft['n']} interactions, toxicity {soft['toxicity']:.3f}, "
            f"quality gap {soft['quality_gap']:.3f}"
        )
        console.print(f"ledger in {db}; try: sqlite3 {db} \"SELECT * FROM contracts WHERE status='settled'\"")


if __name__ == "__main__":
    app()
