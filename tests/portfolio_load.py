"""A load generator process for the portfolio concurrency test: threads placing random
orders against one portfolio through the real service. Prints a JSON summary.

    python -m tests.portfolio_load PORTFOLIO_ID THREADS ORDERS_PER_THREAD SEED
"""

import json
import os
import random
import sys
import threading


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings.test")
    django.setup()
    from django.core.exceptions import ValidationError
    from django.db import connection

    from apps.portfolio.models import Portfolio
    from apps.portfolio.services import order_place

    portfolio_id, threads, per_thread, seed = (int(a) for a in sys.argv[1:5])
    portfolio = Portfolio.objects.select_related("owner").get(pk=portfolio_id)
    results = {"filled": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        try:
            for _ in range(per_thread):
                symbol = rng.choice(["BTCUSDT", "ETHUSDT"])
                action = rng.choice(["buy", "buy", "sell"])
                price = f"{rng.uniform(100, 50000):.2f}"
                try:
                    order_place(
                        owner=portfolio.owner,
                        portfolio=portfolio,
                        symbol=symbol,
                        action=action,
                        price=price,
                    )
                    with lock:
                        results["filled"] += 1
                except ValidationError:
                    with lock:
                        results["refused"] += 1
                except Exception as exc:  # noqa: BLE001 - reported to the test
                    with lock:
                        results["errors"].append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
