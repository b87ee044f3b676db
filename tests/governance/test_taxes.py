"""Transaction tax: the cost of accepted interactions, split between the parties."""

import numpy as np
import pytest

from distsafe.governance import GovernanceConfig, TransactionTaxLever


def test_transaction_tax_split(make_table, make_ctx, make_batch):
    lever = TransactionTaxLever(GovernanceConfig(transaction_tax_rate=0.1, transaction_tax_split=0.25))
    b = make_batch(
        initiator=[0, 1, 2], counterparty=[1, 2, 3], tau=[2.0, -4.0, 3.0], accepted=[True, True, False]
    )
    lever.on_interactions(make_ctx(make_table()), b)
    assert np.allclose(b.c_a, [0.05, 0.1, 0.0])
    assert np.allclose(b.c_b, [0.15, 0.3, 0.0])
    assert lever.collected == pytest.approx(0.6)
    assert lever.stats() == {"tax_collected": pytest.approx(0.6)}
