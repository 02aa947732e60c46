"""Deploy checks of our own (`manage.py check --deploy`), next to Django's security ones:
settings that production needs and that would otherwise fail only at run time or weaken
a defence quietly."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

CSP_MIDDLEWARE = "apps.core.middleware.ContentSecurityPolicyMiddleware"
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "*")


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs) -> list[Warning]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                f"The cache ({backend}) is not shared between processes: each web worker "
                "counts throttled requests (sign-in and upload rates) on its own.",
                hint="Set CACHE_URL=redis://... (the same Redis as the broker will do).",
                id="core.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_content_security_policy(app_configs, **kwargs) -> list[Warning]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    problems = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not policy:
        problems.append("no Content-Security-Policy is sent")
    for directive in ("default-src", "script-src", "style-src"):
        loose = [s for s in policy.get(directive, []) if s in UNSAFE]
        if loose:
            problems.append(f"{directive} allows {' '.join(loose)}")
    if problems:
        return [
            Warning(
                "Content-Security-Policy: " + "; ".join(problems) + ".",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and CONTENT_SECURITY_POLICY strict.",
                id="core.W003",
            )
        ]
    return []
