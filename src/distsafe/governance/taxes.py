"""Transaction tax: c_a += rate * |tau| * split, c_b += rate * |tau| * (1 - split)."""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.columns import InteractionBatch


class TransactionTaxLever(GovernanceLever):
    name = "transaction_tax"

    def __init__(self, config: GovernanceConfig) -> None:
        self.rate = config.transaction_tax_rate
        self.split = config.transaction_tax_split
        self.collected = 0.0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        tax = np.where(batch.accepted, self.rate * np.abs(batch.tau), 0.0)
        batch.c_a = batch.c_a + tax * self.split
        batch.c_b = batch.c_b + tax * (1.0 - self.split)
        self.collected += float(tax.sum())

    def stats(self) -> dict[str, float]:
        return {"tax_collected": self.collected}
