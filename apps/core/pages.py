"""What every app's pages do alike around jobs: cancel one and say what happened."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.jobs import Job, job_cancel


def job_cancel_page(
    request: HttpRequest, job: Job | None, *, label: str, to: str, **url_kwargs
) -> HttpResponse:
    """Cancel the user's ``job`` (None: not theirs, 404), flash the outcome, go to ``to``."""
    if job is None:
        raise Http404(f"No such {label}")
    if job_cancel(job):
        messages.info(request, f"{label[0].upper()}{label[1:]} cancelled.")
    else:
        messages.error(request, f"This {label} has already finished.")
    return redirect(to, **url_kwargs)
