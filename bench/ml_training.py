"""Training time and peak memory on the full shipped BTCUSDT 1h file (43,780 candles),
for each estimator, each in a fresh process so the peak memory is its own.

    python -m bench.ml_training
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "demo" / "BTCUSDT-1h-2020-10_2025-10.csv.gz"
ESTIMATORS = ["random_forest", "gradient_boosting", "logistic_regression"]


def _child(estimator: str) -> dict:
    from engine.marketdata import read_candles
    from engine.ml import TrainConfig, train_model

    candles = read_candles(DATA).frame
    t0 = time.perf_counter()
    result = train_model(candles, TrainConfig(estimator=estimator, n_jobs=1))
    total = time.perf_counter() - t0
    m = result.metrics
    return {
        "estimator": estimator,
        "candles": len(candles),
        "train_rows": result.train_rows,
        "test_rows": result.test_rows,
        "fit_seconds": round(result.fit_seconds, 3),
        "total_seconds": round(total, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "accuracy": round(m["accuracy"], 4),
        "baseline_accuracy": round(m["baseline_accuracy"], 4),
        "roc_auc": None if m["roc_auc"] is None else round(m["roc_auc"], 4),
    }


def main(argv: list[str] | None = None) -> dict:
    if argv and argv[0] == "--child":
        print(json.dumps(_child(argv[1])))
        return {}
    from bench.common import machine, write_results

    rows = []
    for est in ESTIMATORS:
        out = subprocess.run(
            [sys.executable, "-m", "bench.ml_training", "--child", est],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr)
    data = {"benchmark": "ml_training", "machine": machine(), "rows": rows}
    md = [
        "# Model training on the full BTCUSDT 1h file",
        "",
        f"{rows[0]['candles']:,} candles, chronological 80/20 split, default parameters, one core; {data['machine']['when']}.",
        "",
        "| estimator | fit s | total s | peak RSS MB | held-out accuracy | majority baseline | ROC AUC |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    md += [
        f"| {r['estimator']} | {r['fit_seconds']} | {r['total_seconds']} | {r['peak_rss_mb']} | {r['accuracy']} | {r['baseline_accuracy']} | {r['roc_auc']} |"
        for r in rows
    ]
    write_results("ml_training", data, "\n".join(md))
    print("\n".join(md))
    return data


if __name__ == "__main__":
    main(sys.argv[1:])
