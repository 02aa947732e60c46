"""Run every benchmark: `python -m bench [name ...]`. Results go to bench/results/."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "engine_vs_peers",
    "product",
    "simulator",
    "desk",
    "sweep",
    "marketdata_io",
    "ml_training",
    "load",
    "chart_page",
]


def main() -> None:
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main([])


if __name__ == "__main__":
    main()
