"""What every job's API does alike: cancel one and answer with its row."""

from __future__ import annotations

from django.http import Http404
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from apps.core.jobs import Job, job_cancel


def job_cancel_response(job: Job | None, serializer_class: type[Serializer]) -> Response:
    """Cancel the user's ``job`` (None: not theirs, 404): 200 with the cancelled row, or 409
    with the row as it finished."""
    if job is None:
        raise Http404
    cancelled = job_cancel(job)
    job.refresh_from_db()
    return Response(serializer_class(job).data, status=200 if cancelled else 409)
