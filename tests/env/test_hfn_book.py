"""env.hfn: the order book, its clearing, the crash detector, the halt, bad orders and bad config."""

from __future__ import annotations

import glob
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from distsafe.env.hfn import SCALE, HFNConfig, HFNEngine, HFNOrder, HFNOrderError
from distsafe.env.hfn_crash import FlashCrashDetector

DATA = Path(__file__).with_name("data")


def _engine(n: int = 4, cash: float = 1000.0, inv: float = 100.0, **cfg: object) -> HFNEngine:
    base: dict[str, object] = {"latency_noise_ms": 0.0, "batch_interval_ticks": 1, "open_accounts": False}
    c = HFNConfig(**{**base, **cfg})  # type: ignore[arg-type]
    eng = HFNEngine(c, seed=1, resource="compute")
    eng.register_agents([f"a{k}" for k in range(n)], cash, inv)
    return eng


def _order(agent: str, kind: str, q: float, p: float, **kw: object) -> HFNOrder:
    return HFNOrder(agent_id=agent, order_type=kind, resource_type="compute", quantity=q, price=p, **kw)  # type: ignore[arg-type]


# --- the seed's Quick Start ----------------------------------------------------------------------------


def _seed_quick_start() -> str:
    """The seed's block when the seed file is at hand (and the committed copy must equal it), else the
    committed copy."""
    copy = (DATA / "seed003_hfn_quickstart.py.txt").read_text()
    seeds = glob.glob("/work/shared/seeds/003_*.txt")
    if seeds:
        text = Path(seeds[0]).read_text()
        section = text[text.index("## High-Frequency Negotiation") : text.index("## Permeability Model")]
        block = re.search(r"```python\n(.*?)```", section, re.S)
        assert block is not None and block.group(1) == copy
    return copy


def test_seed_quick_start_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    code = _seed_quick_start().replace("from src.", "from distsafe.")
    exec(compile(code, "seed003_hfn_quickstart", "exec"), {})
    out = capsys.readouterr().out
    # tick 1 is not a batch tick (batch_interval_ticks=5): the crossed pair has not traded yet
    assert "Tick 1: price=1.00, spread=0.00, halted=False" in out
    assert "Speed advantage Gini: 0.000" in out


# --- clearing with known values ------------------------------------------------------------------------


def test_known_book_clears_to_known_fills() -> None:
    eng = _engine()
    assert eng.submit_order(_order("a0", "bid", 5, 1.2))
    assert eng.submit_order(_order("a1", "bid", 3, 1.0))
    assert eng.submit_order(_order("a2", "ask", 4, 0.9))
    assert eng.submit_order(_order("a3", "ask", 4, 1.1))
    tick = eng.process_tick()
    f = eng.last_fills
    assert [eng.ids[b] for b in f.buyer] == ["a0", "a0"]
    assert [eng.ids[s] for s in f.seller] == ["a2", "a3"]
    assert (f.qty / SCALE).tolist() == [4.0, 1.0]
    assert f.price.tolist() == pytest.approx([1.05, 1.15])
    assert tick.volume == 5.0 and tick.orders_executed == 2
    assert tick.market_price == pytest.approx((4 * 1.05 + 1 * 1.15) / 5)
    assert tick.bid_ask_spread == pytest.approx(0.1)  # 3 @ 1.0 against 3 @ 1.1 rest
    assert eng.balances("a0") == (pytest.approx(1000 - 4.2 - 1.15), 105.0)
    assert eng.balances("a2") == (pytest.approx(1004.2), 96.0)
    assert eng.get_order_book_depth() == {
        "bids": 1,
        "asks": 1,
        "total_bid_volume": 3.0,
        "total_ask_volume": 3.0,
    }


@pytest.mark.parametrize("by_speed", [True, False])
def test_time_priority_by_speed_or_by_submission(by_speed: bool) -> None:
    eng = _engine(priority_by_speed=by_speed)
    eng.submit_order(_order("a0", "bid", 2, 1.0, latency_ms=9.0))  # first, slow
    eng.submit_order(_order("a1", "bid", 2, 1.0, latency_ms=1.0))  # second, fast
    eng.submit_order(_order("a2", "ask", 2, 1.0))
    eng.process_tick()
    winner = eng.ids[int(eng.last_fills.buyer[0])]
    assert winner == ("a1" if by_speed else "a0")
    assert eng.last_fills.n == 1


def test_batch_interval_and_speed_gini() -> None:
    eng = _engine(batch_interval_ticks=3)
    eng.submit_order(_order("a0", "bid", 1, 1.0))
    eng.submit_order(_order("a1", "ask", 1, 1.0))
    eng.submit_order(_order("a2", "ask", 1, 1.5))
    assert [eng.process_tick().orders_executed for _ in range(3)] == [0, 0, 1]
    # fill shares: a0 1, a1 1, a2 0 -> Gini of (0, 1, 1) = 1/3
    assert eng.speed_advantage_gini() == pytest.approx(1 / 3)


def test_rate_limit_and_funds_refuse_without_changing_the_book() -> None:
    eng = _engine(n=2, cash=10.0, inv=1.0, max_orders_per_tick=2)
    assert eng.submit_order(_order("a0", "bid", 1, 1.0))
    assert eng.submit_order(_order("a0", "bid", 1, 1.0))
    assert not eng.submit_order(_order("a0", "bid", 1, 1.0))  # third order this tick
    assert not eng.submit_order(_order("a1", "ask", 2, 1.0))  # holds 1 unit
    assert not eng.submit_order(_order("a1", "bid", 11, 1.0))  # 11 > 10 cash
    assert eng.get_order_book_depth()["bids"] == 2 and eng.get_order_book_depth()["asks"] == 0
    eng.process_tick()
    assert eng.submit_order(_order("a0", "cancel", 0, 0))
    assert eng.get_order_book_depth()["bids"] == 0
    assert eng.free_cash()[0] == 10.0


# --- bad orders and bad config -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "msg"),
    [
        (_order("a0", "bid", -1.0, 1.0), "quantity -1.0"),
        (_order("a0", "bid", 0.0, 1.0), "quantity 0.0"),
        (_order("a0", "bid", float("nan"), 1.0), "quantity nan"),
        (_order("a0", "ask", 1.0, float("inf")), "price inf"),
        (_order("a0", "ask", 1.0, float("nan")), "price nan"),
        (_order("a0", "ask", 1.0, 0.0), "price 0.0"),
        (_order("nobody", "bid", 1.0, 1.0), "unknown agent 'nobody'"),
        (_order("a0", "market", 1.0, 1.0), "order type 'market'"),
        (HFNOrder(agent_id="a0", order_type="bid", resource_type="energy", quantity=1, price=1), "'energy'"),
        (_order("a0", "bid", 1e-9, 1.0), "smallest lot"),
    ],
)
def test_bad_orders_are_refused_with_one_line_and_nothing_applied(order: HFNOrder, msg: str) -> None:
    eng = _engine()
    eng.submit_order(_order("a1", "ask", 2, 1.5))
    before = (eng.cash.copy(), eng.inv.copy(), eng.cash_held.copy(), eng.inv_held.copy(), eng.seq)
    depth = eng.get_order_book_depth()
    with pytest.raises(HFNOrderError) as exc:
        eng.submit_order(order)
    assert msg in str(exc.value) and "\n" not in str(exc.value)
    assert eng.get_order_book_depth() == depth and eng.seq == before[4]
    for a, b in zip(before[:4], (eng.cash, eng.inv, eng.cash_held, eng.inv_held)):
        assert np.array_equal(a, b)


def test_a_vector_with_one_bad_order_applies_none() -> None:
    eng = _engine()
    with pytest.raises(HFNOrderError, match="unknown agent index 9"):
        eng.submit_orders([0, 9], [1, -1], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(HFNOrderError, match="price nan"):
        eng.submit_orders([0, 1], [1, -1], [1.0, 1.0], [1.0, float("nan")])
    assert eng.bids.n == 0 and eng.asks.n == 0 and eng.seq == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_interval_ticks": 0},
        {"tick_duration_ms": float("nan")},
        {"latency_noise_ms": -1.0},
        {"max_orders_per_tick": 0},
        {"price_drop_threshold": 1.5},
        {"halt_duration_ticks": 0},
        {"no_such_field": 1},
    ],
)
def test_bad_config_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HFNConfig(**bad)  # type: ignore[arg-type]


# --- the crash detector and the halt -------------------------------------------------------------------


def test_crash_detector_on_a_known_price_path() -> None:
    d = FlashCrashDetector(price_drop_threshold=0.1, window_ticks=5, volume_spike_factor=3.0)
    path = [(1.0, 1.0), (1.02, 1.0), (1.0, 1.0), (0.95, 1.0), (0.85, 10.0), (0.80, 0.0), (0.97, 2.0)]
    found = [d.update(t + 1, p, v, ["x"]) for t, (p, v) in enumerate(path)]
    crash = found[4]
    assert crash is not None and all(f is None for k, f in enumerate(found) if k != 4)
    assert crash.start_tick == 5 and crash.pre_crash_price == 1.02
    assert crash.price_drop_pct == pytest.approx((1.02 - 0.85) / 1.02)
    assert crash.severity == pytest.approx(crash.price_drop_pct / 0.1)
    assert crash.volume_ratio == pytest.approx(10.0 / 1.0)
    assert crash.trough_price == 0.80 and crash.end_tick == 7 and crash.recovery_time_ticks == 2
    # the same drop on ordinary volume is no flash crash
    d2 = FlashCrashDetector(0.1, 5, 3.0)
    assert all(d2.update(t + 1, p, 1.0) is None for t, (p, _) in enumerate(path))


def test_crash_halts_the_market_and_a_halted_market_trades_nothing() -> None:
    eng = _engine(n=3, halt_duration_ticks=4, window_ticks=3)
    eng.submit_order(_order("a0", "bid", 1, 1.0))
    eng.submit_order(_order("a1", "ask", 1, 1.0))
    eng.process_tick()
    eng.submit_order(_order("a0", "bid", 50, 0.5))
    eng.submit_order(_order("a2", "ask", 50, 0.5))
    t = eng.process_tick()
    assert t.crash and eng.halted and t.market_price == 0.5
    cash = eng.cash.copy()
    assert not eng.submit_order(_order("a0", "bid", 1, 2.0))
    halted = [eng.process_tick() for _ in range(5)]  # halt_duration_ticks halted ticks, then open
    assert [h.halted for h in halted] == [True, True, True, True, False]
    assert all(h.orders_executed == 0 for h in halted[:4]) and np.array_equal(cash, eng.cash)
    assert eng.halted_ticks == 4


# --- properties ----------------------------------------------------------------------------------------

_orders = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from([1, -1]),
        st.integers(1, 400),
        st.integers(50, 150),
        st.floats(0, 20, allow_nan=False),
    ),  # fmt: skip
    min_size=1,
    max_size=40,
)


def _book_and_clear(orders: list[tuple[int, int, int, int, float]], by_speed: bool) -> tuple[HFNEngine, dict]:
    eng = _engine(n=6, cash=500.0, inv=50.0, priority_by_speed=by_speed, max_orders_per_tick=100)
    a = np.array([o[0] for o in orders])
    eng.submit_orders(a, [o[1] for o in orders], [o[2] / 10 for o in orders], [o[3] / 100 for o in orders],
                      [o[4] for o in orders])  # fmt: skip
    snap = {
        side: {k: getattr(book, k).copy() for k in ("agent", "qty", "price", "eff", "seq")}
        for side, book in (("bid", eng.bids), ("ask", eng.asks))
    }
    snap["cash"], snap["inv"] = eng.cash.copy(), eng.inv.copy()  # type: ignore[assignment]
    eng.process_tick()
    return eng, snap


@settings(max_examples=60, deadline=None)
@given(_orders, st.booleans())
def test_clearing_conserves_cash_and_assets_exactly(orders: list, by_speed: bool) -> None:
    eng, snap = _book_and_clear(orders, by_speed)
    assert int(eng.cash.sum()) == int(snap["cash"].sum())
    assert int(eng.inv.sum()) == int(snap["inv"].sum())
    assert (eng.cash >= 0).all() and (eng.inv >= 0).all()
    assert (eng.cash >= eng.cash_held).all() and (eng.inv >= eng.inv_held).all()


@settings(max_examples=60, deadline=None)
@given(_orders, st.booleans())
def test_fills_follow_price_time_priority_and_pair_prices(orders: list, by_speed: bool) -> None:
    eng, snap = _book_and_clear(orders, by_speed)
    f = eng.last_fills
    assert (f.ask_price <= f.price).all() and (f.price <= f.bid_price).all()
    assert (f.bid_price >= f.ask_price).all()
    for side, seqs, sign in (("bid", f.bid_seq, -1), ("ask", f.ask_seq, 1)):
        s = snap[side]
        tkey = s["eff"] if by_speed else s["seq"]
        ranked = sorted(range(len(s["seq"])), key=lambda k: (sign * s["price"][k], tkey[k], s["seq"][k]))
        rank_of = {int(s["seq"][k]): r for r, k in enumerate(ranked)}
        filled = np.zeros(len(ranked), dtype=np.int64)
        for sq, q in zip(seqs.tolist(), f.qty.tolist()):
            filled[rank_of[sq]] += q
        full = filled == s["qty"][ranked]
        # a prefix of the priority order is filled in full, then at most one order in part, then none
        k = int(np.argmin(full)) if not full.all() else len(full)
        assert (filled[k + 1 :] == 0).all()
        assert [rank_of[sq] for sq in seqs.tolist()] == sorted(rank_of[sq] for sq in seqs.tolist())
    # what is left does not cross
    if eng.bids.n and eng.asks.n:
        assert eng.bids.price.max() < eng.asks.price.min()


@settings(max_examples=30, deadline=None)
@given(_orders)
def test_a_halted_market_trades_nothing(orders: list) -> None:
    eng = _engine(n=6, cash=500.0, inv=50.0, max_orders_per_tick=100)
    eng.submit_orders([o[0] for o in orders], [o[1] for o in orders], [o[2] / 10 for o in orders],
                      [o[3] / 100 for o in orders])  # fmt: skip
    eng.halt(3)
    cash, inv = eng.cash.copy(), eng.inv.copy()
    ticks = [eng.process_tick() for _ in range(3)]
    assert all(t.halted and t.orders_executed == 0 for t in ticks)
    assert np.array_equal(cash, eng.cash) and np.array_equal(inv, eng.inv)
