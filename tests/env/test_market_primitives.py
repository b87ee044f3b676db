"""env.market: the seed's marketplace primitives, money conservation, disputes, expiry and bad input."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from distsafe.env.market import (
    Bid,
    Bounty,
    BountyStatus,
    Escrow,
    EscrowStatus,
    MarketError,
    Marketplace,
    MarketplaceConfig,
)

AGENTS = ("alice", "bob", "carol", "dave")


def market(**cfg: object) -> Marketplace:
    return Marketplace(MarketplaceConfig(**cfg), balances={a: 100.0 for a in AGENTS})  # type: ignore[arg-type]


def total(m: Marketplace) -> float:
    return sum(m.ledger.balances.values()) + m.held() + m.fees_collected  # type: ignore[attr-defined]


def test_seed_api_as_written() -> None:
    # the seed's dataclasses and four methods, with its names and positional fields
    m = Marketplace()
    m.deposit("poster", 50.0)
    m.deposit("worker", 0.0)
    m.post_bounty(Bounty(bounty_id="b1", task_id="t1", amount=20.0, poster_id="poster", deadline=2))
    m.submit_bid(Bid(bid_id="x1", bounty_id="b1", bidder_id="worker", proposed_amount=15.0))
    m.accept_bid("b1", "x1")
    (escrow,) = m.escrows.values()
    assert isinstance(escrow, Escrow)
    assert (escrow.from_agent, escrow.to_agent, escrow.amount, escrow.condition, escrow.released) == (
        "poster", "worker", 15.0, "task_completed", False,
    )  # fmt: skip
    m.release_escrow(escrow.escrow_id)
    assert escrow.released
    # 2% fee of 15 = 0.3 kept by the marketplace; the poster got 20 - 15 back at acceptance
    assert m.ledger.balances == {"poster": pytest.approx(35.0), "worker": pytest.approx(14.7)}  # type: ignore[attr-defined]
    assert m.fees_collected == pytest.approx(0.3)
    assert m.bounties["b1"].status is BountyStatus.COMPLETED


def test_values_through_a_dispute_and_expiry() -> None:
    m = market(escrow_fee_rate=0.1, dispute_resolution_epochs=2, dispute_default_split=0.25)
    m.post_bounty(Bounty("b1", "t1", 40.0, "alice", 3))
    m.post_bounty(Bounty("b2", "t2", 10.0, "alice", 1))
    assert m.ledger.balances["alice"] == 50.0  # type: ignore[attr-defined]
    m.submit_bid(Bid("x", "b1", "bob", 30.0))
    m.submit_bid(Bid("y", "b1", "carol", 35.0))
    e = m.accept_bid("b1", "x")
    assert m.bids["y"].status.value == "rejected"
    assert m.ledger.balances["alice"] == 60.0  # type: ignore[attr-defined]  # 10 of b1's reward back
    d = m.file_dispute(e.escrow_id, "alice", "bad work", quality=0.8)
    with pytest.raises(MarketError, match="disputed"):
        m.release_escrow(e.escrow_id)
    # b2 expires at epoch 1: its reward goes back
    assert [b.bounty_id for b in m.expire_bounties(1)] == ["b2"]
    assert m.ledger.balances["alice"] == 70.0  # type: ignore[attr-defined]
    assert m.auto_resolve_disputes(1) == []  # filed at epoch 0, settles from epoch 2
    ((d2, s),) = m.auto_resolve_disputes(2)
    assert d2 is d and d.worker_share == 0.8  # quality_rule: the delivery's p
    assert (s.fee, s.worker_amount, s.poster_amount) == pytest.approx((3.0, 21.6, 5.4))
    assert m.ledger.balances["bob"] == pytest.approx(121.6)  # type: ignore[attr-defined]
    assert total(m) == pytest.approx(400.0)


def test_default_split_without_quality_or_with_the_reference_rule() -> None:
    for quality_rule, quality, share in ((True, None, 0.25), (False, 0.9, 0.25), (True, 0.9, 0.9)):
        m = market(dispute_default_split=0.25, quality_rule=quality_rule, dispute_resolution_epochs=0)
        m.post_bounty(Bounty("b", "t", 10.0, "alice", 2))
        m.submit_bid(Bid("x", "b", "bob", 10.0))
        e = m.accept_bid("b", "x")
        m.file_dispute(e.escrow_id, "bob", quality=quality)
        ((d, _),) = m.auto_resolve_disputes(0)
        assert d.worker_share == share


@pytest.mark.parametrize(
    "action, message",
    [
        (lambda m: m.post_bounty(Bounty("n", "t", -1.0, "alice", 3)), "positive"),
        (lambda m: m.post_bounty(Bounty("n", "t", math.nan, "alice", 3)), "finite"),
        (lambda m: m.post_bounty(Bounty("n", "t", 0.5, "alice", 3)), "min_bounty_amount"),
        (lambda m: m.post_bounty(Bounty("n", "t", 500.0, "alice", 3)), "has 80"),
        (lambda m: m.post_bounty(Bounty("n", "t", 5.0, "mallory", 3)), "unknown agent"),
        (lambda m: m.post_bounty(Bounty("b1", "t", 5.0, "alice", 3)), "exists"),
        (lambda m: m.post_bounty(Bounty("n", "t", 5.0, "alice", 0)), "deadline"),
        (lambda m: m.submit_bid(Bid("z", "nope", "bob", 5.0)), "unknown bounty"),
        (lambda m: m.submit_bid(Bid("z", "b1", "mallory", 5.0)), "unknown agent"),
        (lambda m: m.submit_bid(Bid("z", "b1", "carol", float("inf"))), "finite"),
        (lambda m: m.submit_bid(Bid("z", "b1", "carol", -2.0)), "positive"),
        (lambda m: m.submit_bid(Bid("z", "b1", "carol", 25.0)), "above the reward"),
        (lambda m: m.submit_bid(Bid("z", "b1", "alice", 5.0)), "own bounty"),
        (lambda m: m.submit_bid(Bid("z", "b1", "bob", 5.0)), "pending bid"),
        (lambda m: m.submit_bid(Bid("x", "b1", "carol", 5.0)), "exists"),
        (lambda m: m.accept_bid("b1", "nope"), "unknown bid"),
        (lambda m: m.accept_bid("b2", "x"), "not on 'b2'"),
        (lambda m: m.accept_bid("nope", "x"), "unknown bounty"),
        (lambda m: m.release_escrow("nope"), "unknown escrow"),
        (lambda m: m.resolve_dispute("nope", 0.5), "unknown dispute"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(action: object, message: str) -> None:
    m = market()
    m.post_bounty(Bounty("b1", "t", 20.0, "alice", 3))
    m.post_bounty(Bounty("b2", "t", 10.0, "bob", 3))
    m.submit_bid(Bid("x", "b1", "bob", 10.0))
    before = copy.deepcopy(m.__dict__)
    with pytest.raises(MarketError, match=message) as e:
        action(m)  # type: ignore[operator]
    assert "\n" not in str(e.value)
    assert m.__dict__ == before


def test_bid_after_the_deadline_or_on_a_closed_bounty() -> None:
    m = market(max_bids_per_bounty=1)
    m.post_bounty(Bounty("b1", "t", 20.0, "alice", 2))
    m.post_bounty(Bounty("b2", "t", 20.0, "alice", 3))
    m.submit_bid(Bid("x", "b2", "bob", 10.0))
    with pytest.raises(MarketError, match="max_bids_per_bounty"):
        m.submit_bid(Bid("y", "b2", "carol", 10.0))
    m.accept_bid("b2", "x")
    with pytest.raises(MarketError, match="awarded"):
        m.submit_bid(Bid("z", "b2", "carol", 10.0))
    with pytest.raises(MarketError, match="awarded"):
        m.accept_bid("b2", "x")
    m.set_epoch(2)
    with pytest.raises(MarketError, match="deadline"):
        m.submit_bid(Bid("w", "b1", "carol", 10.0))
    with pytest.raises(MarketError, match="cannot go back"):
        m.set_epoch(1)


def test_dispute_rules() -> None:
    m = market()
    m.post_bounty(Bounty("b1", "t", 20.0, "alice", 3))
    m.submit_bid(Bid("x", "b1", "bob", 10.0))
    e = m.accept_bid("b1", "x")
    for bad, msg in (
        (("carol",), "neither"),
        (("bob", "", 1.5), r"\[0, 1\]"),
        (("bob", "", math.nan), "finite"),
    ):
        with pytest.raises(MarketError, match=msg):
            m.file_dispute(e.escrow_id, *bad)
    d = m.file_dispute(e.escrow_id, "bob")
    with pytest.raises(MarketError, match="held"):
        m.file_dispute(e.escrow_id, "alice")
    for share in (-0.1, 1.01, math.nan):
        with pytest.raises(MarketError):
            m.resolve_dispute(d.dispute_id, share)
    m.resolve_dispute(d.dispute_id, 1.0)
    with pytest.raises(MarketError, match="settled already"):
        m.resolve_dispute(d.dispute_id, 1.0)
    assert m.escrows[e.escrow_id].status is EscrowStatus.SETTLED


@pytest.mark.parametrize(
    "field, value",
    [("escrow_fee_rate", 1.5), ("escrow_fee_rate", -0.1), ("escrow_fee_rate", math.nan),
     ("dispute_default_split", 2.0), ("max_bids_per_bounty", 0), ("min_bounty_amount", -1.0),
     ("bid_deadline_epochs", 0), ("reward_min", 20.0)],
)  # fmt: skip
def test_config_is_validated(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        MarketplaceConfig(**{field: value})  # type: ignore[arg-type]


# ---- properties ------------------------------------------------------------------------------------------
OPS = st.lists(
    st.tuples(
        st.sampled_from(["post", "bid", "accept", "release", "dispute", "resolve", "expire", "tick"]),
        st.integers(0, 50),
        st.integers(0, 50),
        st.one_of(st.floats(-5, 120), st.just(math.nan)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(OPS, st.floats(0, 1), st.floats(0, 1))
def test_money_is_conserved_and_escrows_pay_out_once(ops: list, fee: float, split: float) -> None:
    m = market(escrow_fee_rate=fee, dispute_default_split=split, dispute_resolution_epochs=1)
    start = total(m)
    paid: dict[str, int] = {}
    for kind, i, j, x in ops:
        before = copy.deepcopy((m.ledger.balances, m.held(), m.fees_collected))  # type: ignore[attr-defined]
        bounties, bids, escrows = list(m.bounties), list(m.bids), list(m.escrows)
        disputes = list(m.disputes)
        try:
            if kind == "post":
                m.post_bounty(Bounty(f"b{i}", "t", x, AGENTS[j % 4], m.epoch + 1 + j % 3))
            elif kind == "bid" and bounties:
                m.submit_bid(Bid(f"x{len(m.bids)}", bounties[i % len(bounties)], AGENTS[j % 4], x))
            elif kind == "accept" and bounties and bids:
                m.accept_bid(bounties[i % len(bounties)], bids[j % len(bids)])
            elif kind == "release" and escrows:
                s = m.release_escrow(escrows[i % len(escrows)], reimburse_poster=j % 2 == 0)
                paid[s.escrow_id] = paid.get(s.escrow_id, 0) + 1
                assert s.worker_amount + s.poster_amount + s.fee == pytest.approx(
                    m.escrows[s.escrow_id].amount
                )
            elif kind == "dispute" and escrows:
                e = m.escrows[escrows[i % len(escrows)]]
                m.file_dispute(e.escrow_id, e.to_agent if j % 2 else e.from_agent)
            elif kind == "resolve" and disputes:
                share = min(max(x / 100, 0.0), 1.0)
                s = m.resolve_dispute(disputes[i % len(disputes)], share)
                paid[s.escrow_id] = paid.get(s.escrow_id, 0) + 1
                amount = m.escrows[s.escrow_id].amount
                assert s.worker_amount + s.poster_amount + s.fee == pytest.approx(amount)
                assert s.worker_amount == pytest.approx((amount - s.fee) * share)
            elif kind == "expire":
                m.expire_bounties(m.epoch + i % 2)
            elif kind == "tick":
                for _, s in m.auto_resolve_disputes(m.epoch + i % 2):
                    paid[s.escrow_id] = paid.get(s.escrow_id, 0) + 1
        except MarketError:
            assert (m.ledger.balances, m.held(), m.fees_collected) == before  # type: ignore[attr-defined]
        assert total(m) == pytest.approx(start)
        assert all(b >= -1e-9 for b in m.ledger.balances.values())  # type: ignore[attr-defined]
    assert all(n == 1 for n in paid.values())
    for e in m.escrows.values():
        assert e.released == (e.status is EscrowStatus.RELEASED)
