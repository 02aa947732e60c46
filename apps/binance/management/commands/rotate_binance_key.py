import os

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandError

from apps.binance.crypto import SecretsUnreadable
from apps.binance.services import credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored Binance secret under a new Fernet key (then put it first in BINANCE_FERNET_KEYS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key",
            help="the new key; prefer the environment variable BINANCE_NEW_FERNET_KEY, which "
            "keeps it out of the process list (a key starting with '-' needs --new-key=KEY)",
        )

    def handle(self, *args, new_key=None, **options):
        new_key = new_key or os.environ.get("BINANCE_NEW_FERNET_KEY", "")
        if not new_key:
            raise CommandError("give the new key in BINANCE_NEW_FERNET_KEY or --new-key=KEY")
        try:
            Fernet(new_key.encode())
        except ValueError:
            raise CommandError("--new-key is not a Fernet key") from None
        try:
            n = credentials_rotate(new_key=new_key)
        except SecretsUnreadable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{n} credential(s) re-encrypted; set BINANCE_FERNET_KEYS to the new key first, the old ones after"
        )
