"""SQLite ledger (WAL). One transaction per turn: the `turns` row commits together with the state it made.

The tables answer the seed's README queries as written:

    SELECT turn, agent_id, message FROM speech_log ORDER BY turn
    SELECT agent_id, balance, staked, burn_score, study_level FROM agents
    SELECT * FROM contracts WHERE status='settled'
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsafe.economy.blockchain import Block, chain_errors
from distsafe.economy.config import WorldConfig, config_error
from distsafe.economy.engine import SPEECH_KEPT, Engine, TurnResult
from distsafe.economy.records import Account, Contract, Listing

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    agent_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, balance INTEGER NOT NULL, staked INTEGER NOT NULL,
    burn_score REAL NOT NULL, study_level INTEGER NOT NULL, cores INTEGER NOT NULL,
    last_nonce INTEGER NOT NULL,
    stake_locked_until INTEGER NOT NULL, locked_bid INTEGER NOT NULL, blocks_won INTEGER NOT NULL,
    rulings_lost INTEGER NOT NULL, output_tokens INTEGER NOT NULL, inference_paid INTEGER NOT NULL,
    dividends INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contracts (
    contract_id TEXT PRIMARY KEY, type TEXT NOT NULL, proposer TEXT NOT NULL, counterparty TEXT NOT NULL,
    arbitrator TEXT NOT NULL, status TEXT NOT NULL, created_turn INTEGER NOT NULL, activated_turn INTEGER,
    maturity_turn INTEGER, resolved_turn INTEGER, outcome TEXT, ruling TEXT, collateral INTEGER NOT NULL,
    terms TEXT NOT NULL, escrow TEXT NOT NULL, signatures TEXT NOT NULL, confirmations TEXT NOT NULL,
    dispute TEXT, terms_hash TEXT NOT NULL, blocks_at_activation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS listings (
    listing_id TEXT PRIMARY KEY, seller TEXT NOT NULL, topic TEXT NOT NULL, price INTEGER NOT NULL,
    content TEXT NOT NULL, content_hash TEXT NOT NULL, turn INTEGER NOT NULL, buyers TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY, turn INTEGER NOT NULL, kind TEXT NOT NULL, validator TEXT NOT NULL,
    weight REAL NOT NULL, reward INTEGER NOT NULL, fees INTEGER NOT NULL, parent_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, turn INTEGER NOT NULL, agent_id TEXT NOT NULL, kind TEXT NOT NULL,
    nonce INTEGER NOT NULL, params TEXT NOT NULL, accepted INTEGER NOT NULL, reason TEXT NOT NULL, ref TEXT);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, turn INTEGER NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL,
    amount INTEGER NOT NULL, ref TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS speech_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, turn INTEGER NOT NULL, agent_id TEXT NOT NULL,
    message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    turn INTEGER PRIMARY KEY, request_hash TEXT NOT NULL, result TEXT NOT NULL, supply INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tx_turn ON transactions(turn);
CREATE INDEX IF NOT EXISTS speech_turn ON speech_log(turn);
"""

TABLES = (
    "meta",
    "agents",
    "contracts",
    "listings",
    "blocks",
    "transactions",
    "events",
    "speech_log",
    "turns",
)
AGENT_COLS = [f.name for f in fields(Account)]
CONTRACT_COLS = [
    "contract_id",
    "type",
    "proposer",
    "counterparty",
    "arbitrator",
    "status",
    "created_turn",
    "activated_turn",
    "maturity_turn",
    "resolved_turn",
    "outcome",
    "ruling",
    "collateral",
    "terms",
    "escrow",
    "signatures",
    "confirmations",
    "dispute",
    "terms_hash",
    "blocks_at_activation",
]
_JSON_CONTRACT = {"terms", "escrow", "signatures", "confirmations", "dispute"}


def _upsert(table: str, cols: list[str], key: str) -> str:
    sets = ", ".join(f"{c}=excluded.{c}" for c in cols if c != key)
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT({key}) DO UPDATE SET {sets}"
    )


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ writes

    def init_world(self, eng: Engine) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for t in TABLES:
                c.execute(f"DELETE FROM {t}")
            if self._has_sequence():
                c.execute("DELETE FROM sqlite_sequence")
            c.execute("INSERT INTO meta VALUES ('config', ?)", (eng.cfg.model_dump_json(),))
            self._write_state(eng, all_contracts=True)
            c.executemany(
                "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?)", [self._block_row(b) for b in eng.chain]
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _has_sequence(self) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_sequence'"
            ).fetchone()
        )

    @staticmethod
    def _block_row(b: Block) -> tuple[Any, ...]:
        return (b.height, b.turn, b.kind, b.validator, b.weight, b.reward, b.fees, b.parent_hash, b.hash)

    def _write_state(self, eng: Engine, all_contracts: bool = False) -> None:
        c = self.conn
        world = {
            "turn": eng.turn,
            "minted": eng.minted,
            "burned": eng.burned,
            "destroyed_interest": eng.destroyed_interest,
            "fee_pool": eng.fee_pool,
            "pending_fees": eng.pending_fees,
            "burned_by": eng.burned_by,
        }
        c.execute(_upsert("meta", ["key", "value"], "key"), ("world", json.dumps(world)))
        c.executemany(
            _upsert("agents", AGENT_COLS, "agent_id"),
            [tuple(getattr(a, k) for k in AGENT_COLS) for a in eng.agents.values()],
        )
        ids = list(eng.contracts) if all_contracts else [k for k in eng.contracts if k in eng.dirty_contracts]
        rows = []
        for cid in ids:
            ct = eng.contracts[cid].to_dict()
            rows.append(tuple(json.dumps(ct[k]) if k in _JSON_CONTRACT else ct[k] for k in CONTRACT_COLS))
        c.executemany(_upsert("contracts", CONTRACT_COLS, "contract_id"), rows)
        lcols = ["listing_id", "seller", "topic", "price", "content", "content_hash", "turn", "buyers"]
        lids = list(eng.listings) if all_contracts else [k for k in eng.listings if k in eng.dirty_listings]
        c.executemany(
            _upsert("listings", lcols, "listing_id"),
            [
                tuple(json.dumps(v) if k == "buyers" else v for k, v in eng.listings[lid].to_dict().items())
                for lid in lids
            ],
        )

    def save_turn(
        self,
        eng: Engine,
        result: TurnResult,
        request_hash: str,
        result_json: str,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """Persist everything the turn changed, atomically, with its idempotency record."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            self._write_state(eng)
            c.executemany(
                "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?)", [self._block_row(b) for b in result.blocks]
            )
            c.executemany(
                "INSERT INTO transactions (turn, agent_id, kind, nonce, params, accepted, reason, "
                "ref) VALUES (?,?,?,?,?,?,?,?)",
                eng.tx_rows,
            )
            c.executemany(
                "INSERT INTO events (turn, kind, agent_id, amount, ref) VALUES (?,?,?,?,?)", eng.events
            )
            c.executemany("INSERT INTO speech_log (turn, agent_id, message) VALUES (?,?,?)", eng.new_speech)
            c.execute(
                "INSERT INTO turns VALUES (?,?,?,?)",
                (result.turn, request_hash, result_json, result.supply["total"]),
            )
            if before_commit is not None:
                before_commit()
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------ reads

    def turn_record(self, turn: int) -> tuple[str, str] | None:
        row = self.conn.execute("SELECT request_hash, result FROM turns WHERE turn=?", (turn,)).fetchone()
        return (row[0], row[1]) if row else None

    def speech(self, turn: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT turn, agent_id, message FROM speech_log WHERE turn=? ORDER BY id", (turn,)
        ).fetchall()
        return [{"turn": t, "agent_id": a, "message": m} for t, a, m in rows]

    def load(self) -> Engine | None:
        """Rebuild the engine from the file; None when no world was initialised. Verifies the chain and
        the supply invariant, so a tampered or inconsistent file is refused."""
        c = self.conn
        row = c.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        if row is None:
            return None
        try:
            cfg = WorldConfig.model_validate_json(row[0])
        except ValidationError as exc:
            raise ValueError(f"stored world config is invalid: {config_error(exc)}") from None
        eng = Engine(cfg)
        world = json.loads(c.execute("SELECT value FROM meta WHERE key='world'").fetchone()[0])
        eng.turn = world["turn"]
        eng.minted, eng.burned = world["minted"], world["burned"]
        eng.destroyed_interest, eng.fee_pool = world["destroyed_interest"], world["fee_pool"]
        eng.pending_fees, eng.burned_by = world["pending_fees"], world["burned_by"]
        for r in c.execute(f"SELECT {', '.join(AGENT_COLS)} FROM agents ORDER BY rowid"):
            a = Account(**dict(zip(AGENT_COLS, r)))
            eng.agents[a.agent_id] = a
        for r in c.execute(f"SELECT {', '.join(CONTRACT_COLS)} FROM contracts ORDER BY rowid"):
            d = {
                k: (json.loads(v) if k in _JSON_CONTRACT and v is not None else v)
                for k, v in zip(CONTRACT_COLS, r)
            }
            eng.contracts[d["contract_id"]] = Contract(**d)
        for r in c.execute(
            "SELECT listing_id, seller, topic, price, content, content_hash, turn, buyers "
            "FROM listings ORDER BY rowid"
        ):
            lid, seller, topic, price, content, content_hash, turn, buyers = r
            eng.listings[lid] = Listing(
                lid, seller, topic, price, content, content_hash, turn, json.loads(buyers)
            )
        eng.chain = [
            Block(*r)
            for r in c.execute(
                "SELECT height, turn, kind, validator, weight, reward, fees, parent_hash, hash "
                "FROM blocks ORDER BY height"
            )
        ]
        errors = chain_errors(eng.chain)
        if errors:
            raise ValueError(f"stored chain is invalid: {errors[0]}")
        eng.speech = [
            (turn, agent_id, message)
            for turn, agent_id, message in c.execute(
                "SELECT turn, agent_id, message FROM speech_log ORDER BY id DESC LIMIT ?", (SPEECH_KEPT,)
            )
        ][::-1]
        eng.check_invariant()
        return eng
