from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The product's user. Every strategy, run, model, portfolio and exchange key belongs to one."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def save(self, *args, **kwargs):
        # set_password() leaves the new raw password in _password until the save; every path
        # that changes a password (the admin, a page, `changepassword`, code) goes through it,
        # so this is where a password change revokes the user's API tokens. (check_password's
        # rehash on sign-in clears _password before it saves, so it revokes nothing.)
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from .services import tokens_revoke_all

            tokens_revoke_all(user=self)
