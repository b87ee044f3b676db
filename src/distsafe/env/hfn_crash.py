"""Seed 003's flash-crash detector (`FlashCrashDetector`, the seed's "Flash Crash Detection" table) and
the crash record it keeps (`FlashCrashEvent`); `env.hfn` feeds it one price and volume per tick."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FlashCrashEvent:
    """A detected flash crash; `end_tick`/`recovery_time_ticks` are set when the price recovers to 95% of
    the window's high before the crash (-1 until then)."""

    crash_id: int = 0
    start_tick: int = 0
    end_tick: int = -1
    price_drop_pct: float = 0.0
    pre_crash_price: float = 0.0
    trough_price: float = 0.0
    volume_ratio: float = 0.0
    trigger_agent_ids: list[str] = field(default_factory=list)
    recovery_time_ticks: int = -1
    severity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class FlashCrashDetector:
    """A crash: the price fell by at least `price_drop_threshold` below the highest price of the last
    `window_ticks` ticks, on a volume spike (this tick's traded volume at least `volume_spike_factor` x
    the mean volume of the window's earlier ticks; any volume when they traded none). Severity is
    drop / threshold. One crash at a time: the next can start once the price is back at 95% of the
    pre-crash high."""

    RECOVERY = 0.95

    def __init__(
        self, price_drop_threshold: float = 0.1, window_ticks: int = 10, volume_spike_factor: float = 3.0
    ) -> None:
        if not (0 < price_drop_threshold < 1) or window_ticks < 2 or not (volume_spike_factor >= 0):
            raise ValueError(
                "FlashCrashDetector: need 0 < price_drop_threshold < 1, window_ticks >= 2, "
                "volume_spike_factor >= 0"
            )
        self.price_drop_threshold = float(price_drop_threshold)
        self.window_ticks = int(window_ticks)
        self.volume_spike_factor = float(volume_spike_factor)
        self.prices: deque[float] = deque(maxlen=self.window_ticks)
        self.volumes: deque[float] = deque(maxlen=self.window_ticks)
        self.crashes: list[FlashCrashEvent] = []
        self.in_crash = False

    def update(
        self, tick_number: int, price: float, volume: float, agent_ids: list[str] | None = None
    ) -> FlashCrashEvent | None:
        """Add one tick; returns the crash when one starts at this tick."""
        found = None
        if self.in_crash:
            last = self.crashes[-1]
            last.trough_price = min(last.trough_price, price)
            if price >= self.RECOVERY * last.pre_crash_price:
                last.end_tick = tick_number
                last.recovery_time_ticks = tick_number - last.start_tick
                self.in_crash = False
        elif self.prices:
            high = max(max(self.prices), price)
            drop = (high - price) / high if high > 0 else 0.0
            base = float(np.mean(self.volumes))
            spike = volume > 0 and (base == 0 or volume >= self.volume_spike_factor * base)
            if drop >= self.price_drop_threshold and spike:
                found = FlashCrashEvent(
                    crash_id=len(self.crashes), start_tick=tick_number, price_drop_pct=drop,
                    pre_crash_price=high, trough_price=price,
                    volume_ratio=volume / base if base > 0 else math.inf,
                    trigger_agent_ids=list(agent_ids or []), severity=drop / self.price_drop_threshold,
                )  # fmt: skip
                self.crashes.append(found)
                self.in_crash = True
        self.prices.append(price)
        self.volumes.append(volume)
        return found

    def volatility(self) -> float:
        """Standard deviation of the tick-to-tick returns in the window."""
        p = np.asarray(self.prices, dtype=np.float64)
        if p.size < 2:
            return 0.0
        return float(np.std(np.diff(p) / np.maximum(p[:-1], 1e-12)))

    def get_crash_history(self) -> list[FlashCrashEvent]:
        return list(self.crashes)
