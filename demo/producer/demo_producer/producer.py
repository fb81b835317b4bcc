"""``demo-producer produce``: sample messages for each of seed 001's channels, on demand."""

from __future__ import annotations

import datetime
import random
import time

from demo_shared import faults
from demo_shared.contracts import CHANNELS, Publisher

_ETFS = ["SPY", "QQQ", "IWM", "DIA", "XLF", "XLK", "XLE", "XLV", "VTI", "EFA"]


def sample(channel: str, n: int, universe: str) -> dict:
    """The channel-specific fields of the ``n``-th sample message."""
    rnd = random.Random(n)
    if channel == "tickstock.universe.updated":
        symbols = sorted(rnd.sample(_ETFS, 3 + n % 5))
        return {"universe": universe, "symbols": symbols, "count": len(symbols), "category": "etf"}
    if channel == "tickstock.cache.sync_complete":
        return {
            "task": "eod_cache_sync",
            "status": "completed",
            "universes_updated": rnd.randint(1, 20),
            "duration_seconds": round(rnd.uniform(1, 600), 3),
        }
    if channel == "tickstock.etf.correlation_update":
        etf, *others = rnd.sample(_ETFS, 4)
        return {"etf": etf, "window_days": 30, "correlations": {o: round(rnd.uniform(-1, 1), 4) for o in others}}
    if channel == "tickstock.cache.ipo_assignment":
        return {"symbol": f"TEST_IPO{n}", "universe": universe, "ipo_date": datetime.date.today().isoformat()}
    if channel == "tickstock.cache.delisting_cleanup":
        return {"symbols": [f"TEST_DL{n}"], "universes_affected": [universe]}
    raise ValueError(f"unknown channel {channel!r}; the demo's channels are: {', '.join(CHANNELS)}")


def produce(
    publisher: Publisher,
    channel: str,
    count: int,
    rate: float | None = None,
    universe: str = "TEST_demo_universe",
    extra: dict | None = None,
) -> list[dict]:
    """Publish ``count`` messages on ``channel``, at most ``rate`` per second when given."""
    sent = []
    start = time.perf_counter()
    for i in range(count):
        if rate:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        if i % 10 == 9 and faults.active("producer-skips-silently"):
            continue
        fields = sample(channel, i - 1 if i % 10 == 9 and faults.active("producer-resends") else i, universe)
        fields.update(extra or {})
        sent.append(publisher.publish(channel, fields))
    return sent
