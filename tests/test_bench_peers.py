"""The peer benchmark's trade-for-trade check (bench/engine_vs_peers.compare): it accepts a
peer that did the engine's trades and names where and why one did not. The peers
themselves (vectorbt, backtesting.py) are not needed: the runs are made from the engine's."""

from dataclasses import replace

import numpy as np
import pytest

from bench.common import random_walk_candles
from bench.engine_vs_peers import engine_run
from bench.peers import PeerRun


@pytest.fixture(scope="module")
def engine():
    return engine_run(random_walk_candles(5_000, seed=11), cash=1e15, fee=0.001)


def as_peer(eng, k=None, **changes) -> PeerRun:
    k = len(eng.entry_index) if k is None else k
    run = PeerRun(
        entry_index=eng.entry_index[:k].copy(),
        exit_index=eng.exit_index[:k].copy(),
        entry_price=eng.entry_price[:k].copy(),
        exit_price=eng.exit_price[:k].copy(),
        return_on_cost=eng.return_on_cost[:k].copy(),
        final_balance=eng.final_balance,
    )
    return replace(run, **changes)


def test_the_same_trades_agree(engine):
    from bench.engine_vs_peers import compare

    row = compare(engine, as_peer(engine), "vectorbt_rust")
    assert row["agree"] and row["why"] is None
    assert row["matched_trades"] == len(engine.entry_index) > 100


def test_a_peer_that_stops_trading_says_where_and_why(engine):
    from bench.engine_vs_peers import compare

    row = compare(engine, as_peer(engine, k=40), "backtesting")
    assert not row["agree"]
    assert row["matched_trades"] == 40
    assert row["why"].startswith("stops after trade 40 of ") and "whole units" in row["why"]


def test_a_different_return_or_bar_is_caught(engine):
    from bench.engine_vs_peers import compare

    peer = as_peer(engine)
    peer.return_on_cost[7] += 1e-6
    assert "returns" in compare(engine, peer, "vectorbt_numba")["why"]
    peer = as_peer(engine)
    peer.exit_index[3] += 1
    row = compare(engine, peer, "vectorbt_numba")
    assert not row["agree"] and row["why"] == "trade 4 differs (entry or exit bar)"


def test_a_last_position_ended_the_peers_way_compares_its_entry_only(engine):
    from bench.engine_vs_peers import compare

    assert engine.end_of_data[-1]  # this series ends in a position
    peer = as_peer(engine, end_of_data="left open")
    peer.exit_price[-1] = np.nan
    peer.return_on_cost[-1] = np.nan
    row = compare(engine, peer, "vectorbt_rust")
    assert row["agree"] and row["last_position"] == "left open"
