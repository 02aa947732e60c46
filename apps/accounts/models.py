from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The product's user. Every strategy, run, model, portfolio and exchange key belongs to one."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
