from django.core.management.base import BaseCommand

from apps.marketdata import candlecache


class Command(BaseCommand):
    help = (
        "Remove candle-cache files that no current series names (deleted symbols or series, "
        "stamps that moved on) and temporary files left by dead writers. Safe while the site "
        "runs: a file removed under a reader is rebuilt from the database on its next read."
    )

    def handle(self, *args, **options):
        root = candlecache.cache_dir()
        if root is None:
            self.stdout.write("the candle cache is off (MARKETDATA_CANDLE_CACHE_DIR is empty)")
            return
        out = candlecache.sweep(root)
        self.stdout.write(
            f"{root}: kept {out['kept']}, removed {out['removed']} stale file(s) and "
            f"{out['tmp_removed']} temporary file(s)"
        )
