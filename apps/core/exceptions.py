"""API errors as JSON: field-level details for a user's mistakes, never a traceback.

DRF already turns its own exceptions into 4xx JSON. This adds Django's
ValidationError (raised by services) as a 400 with the same field shape, a job the
task broker could not take (JobEnqueueError) as a 503 naming the broker, and turns
anything unexpected into a 500 JSON body that says nothing about the internals
(the traceback goes to the log).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.jobs import JobEnqueueError

logger = logging.getLogger(__name__)
INTERNAL_ERROR = "Internal server error. The error was logged."


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, JobEnqueueError):
        # The job's row exists, marked failed with the same reason.
        exc = exceptions.APIException(detail=str(exc), code="broker_unavailable")
        exc.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    response = exception_handler(exc, context)
    if response is not None:
        return response
    view = context.get("view")
    logger.exception("unhandled error in %s", type(view).__name__ if view else "api")
    return Response(
        {"detail": INTERNAL_ERROR},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """handler404: JSON under /api/ (a path no route matches, e.g. /api/agents/abc/), the
    page otherwise."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: an error outside DRF's views (middleware, URL resolving) still answers
    JSON under /api/, with nothing about the internals."""
    if _is_api(request):
        return JsonResponse({"detail": INTERNAL_ERROR}, status=500)
    return defaults.server_error(request)
