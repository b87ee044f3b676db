"""Ranges of every number that enters the economy from outside (HTTP bodies, `--config` JSON, the stored
ledger), and the two rules that keep sums inside them.

SQLite stores 64-bit integers. With these bounds every stored value, and every sum the engine forms from them,
stays inside that range: the supply never passes `SUPPLY_CAP` (2^62), a balance never goes below
`-DEBT_LIMIT` through charges it did not choose (bills, interest, slashes), and `MAX_AGENTS` x `DEBT_LIMIT`
(10^18) is below the 2^63 - 2^62 of headroom, so no holding can exceed 2^63 - 1. docs/economy.md, "Limits".
"""

from __future__ import annotations

INT64_MAX = 2**63 - 1
MAX_TOKENS = 10**14  # any one amount: action parameters, config amounts, usage, a balance's debt
MAX_TURN = 10**9  # turn numbers (one a request: never reached)
MAX_DURATION = 10**6  # durations in turns (lock, maturity, ttl, windows)
MAX_NONCE = 2**53 - 1  # exact in a JSON double, so every client reads nonces right
NONCE_WINDOW = 2**20  # how far past the agent's last nonce one signed unit may jump
MAX_AGENTS = 10_000  # agents in one world
SUPPLY_CAP = 2**62  # total supply; mints beyond it are cut (never reached with sane settings)
MAX_TEXT = 10**6  # characters of any one text field
MAX_ID = 100  # characters of an agent, contract or listing id

DEBT_LIMIT = MAX_TOKENS  # imposed charges stop at a balance of -DEBT_LIMIT


def chargeable(balance: int, amount: int) -> int:
    """How much of an imposed charge `amount` a balance can take before it reaches -DEBT_LIMIT."""
    return max(0, min(amount, balance + DEBT_LIMIT))


def saturating_add(counter: int, amount: int) -> int:
    """A statistics counter (tokens used, paid, earned) that stops at the largest stored integer."""
    return min(INT64_MAX, counter + amount)
