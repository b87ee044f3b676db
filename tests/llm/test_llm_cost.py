"""Token prices (defaults, overrides, files) and usage totals."""

from __future__ import annotations

import pytest

from distsafe.llm import PriceTable, total_usage


def test_price_table_and_totals(tmp_path, monkeypatch):
    t = PriceTable()
    assert t.cost("anthropic", "claude-sonnet-4-20250514", 1_000_000, 1_000_000) == pytest.approx(18.0)
    assert t.cost("openai", "gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.5)
    assert t.cost("openai", "gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)  # longest prefix wins
    assert t.cost("ollama", "llama3", 10**6, 10**6) == 0.0
    assert t.cost("openai", "smollm2-135m", 10, 10) is None
    t.set("smollm2", 1.0, 2.0, provider="openai")
    assert t.cost("openai", "smollm2-135m", 10**6, 10**6) == pytest.approx(3.0)
    f = tmp_path / "prices.yaml"
    f.write_text("gpt-4o: {input: 5, output: 20}\nopenai/my-model: [1, 1]\n")
    monkeypatch.setenv("DISTSAFE_LLM_PRICES", str(f))
    from distsafe.llm import default_price_table

    t2 = default_price_table()
    assert t2.cost("openai", "gpt-4o", 10**6, 0) == pytest.approx(5.0)
    assert t2.cost("openai", "my-model-q4", 10**6, 10**6) == pytest.approx(2.0)
    assert t2.cost("anthropic", "claude-3-haiku-20240307", 10**6, 0) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        PriceTable({"x": {"input": -1, "output": 1}})

    tot = total_usage(
        {
            "a": {
                "provider": "openai",
                "total_requests": 2,
                "input_tokens": 10,
                "output_tokens": 5,
                "estimated_cost_usd": 0.5,
                "noops": 1,
            },
            "b": {
                "provider": "dry_run",
                "total_requests": 3,
                "input_tokens": 1,
                "output_tokens": 1,
                "estimated_cost_usd": 0.0,
                "repairs": 2,
            },
        }
    )
    assert (tot["total_requests"], tot["input_tokens"], tot["noops"], tot["repairs"], tot["agents"]) == (
        5,
        11,
        1,
        2,
        2,
    )
    assert tot["estimated_cost_usd"] == pytest.approx(0.5)
    assert tot["by_provider"]["openai"]["total_requests"] == 2
