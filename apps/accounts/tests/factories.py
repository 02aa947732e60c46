"""Test users. Each signs in with ``password_for(username)``; ``permissions=[codename, ...]``
grants model permissions (``import_candles`` makes an importer)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission


def password_for(username: str) -> str:
    return f"{username}-pass-123"


def permit(user, *codenames: str):
    """Grant ``user`` the named permissions (and drop Django's cached set)."""
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.LazyAttribute(lambda u: password_for(u.username))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # create_user hashes the password, as sign-up does.
        return model_class.objects.create_user(*args, **kwargs)

    @factory.post_generation
    def permissions(self, create: bool, extracted, **kwargs):
        if create and extracted:
            permit(self, *extracted)
