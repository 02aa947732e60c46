"""API errors as JSON: field-level details for a user's mistakes, never a traceback.

DRF already turns its own exceptions into 4xx JSON. This adds Django's
ValidationError (raised by services) as a 400 with the same field shape, a job the
task broker could not take (JobEnqueueError) as a 503 naming the broker, and turns
anything unexpected into a 500 JSON body that says nothing about the internals
(the traceback goes to the log).

A request body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 naming the limit (API: JSON;
pages: the 413 page), too many form fields a 400, and a page's ``BadRequest`` (a query
parameter or form its form refused) the 400 page with the reason; before, the body limit
was a 500 on the API.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.jobs import JobEnqueueError

logger = logging.getLogger(__name__)
INTERNAL_ERROR = "Internal server error. The error was logged."


class BrokerUnavailable(exceptions.APIException):
    """A job's task could not be sent; its row is already marked failed with the reason."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The task broker cannot be reached."
    default_code = "broker_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def body_limit_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return (
        f"The request body is larger than {limit} bytes ({limit / 2**20:g} MiB), "
        "the limit DATA_UPLOAD_MAX_MEMORY_SIZE sets."
    )


def too_many_fields_message() -> str:
    return (
        f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, "
        "the limit DATA_UPLOAD_MAX_NUMBER_FIELDS sets."
    )


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(body_limit_message())
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(too_many_fields_message())
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # A service's own message says which permission is missing.
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, JobEnqueueError):
        exc = BrokerUnavailable(detail=str(exc))
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


def bad_request(request, exception=None):
    """handler400: Django answers a SuspiciousOperation or BadRequest raised outside DRF here
    (a form body over the size limit, a page's refused query parameter). The body limit is
    a 413; a page's own BadRequest says why; other suspicious requests say nothing more."""
    if isinstance(exception, RequestDataTooBig):
        status_code, message = 413, body_limit_message()
    elif isinstance(exception, TooManyFieldsSent):
        status_code, message = 400, too_many_fields_message()
    elif type(exception) is BadRequest:
        status_code, message = 400, str(exception)
    else:
        status_code, message = 400, "The request was refused."
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status_code)
    body = loader.get_template("400.html").render({"status": status_code, "message": message})
    return HttpResponse(body, status=status_code)


def server_error(request):
    """handler500: an error outside DRF's views (middleware, URL resolving) still answers
    JSON under /api/, with nothing about the internals."""
    if _is_api(request):
        return JsonResponse({"detail": INTERNAL_ERROR}, status=500)
    return defaults.server_error(request)
