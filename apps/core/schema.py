"""The OpenAPI schema's shared part: the error answers every API view can give.

drf-spectacular documents what a view returns when all goes well. The errors come from DRF
and from apps.core.exceptions, the same for every view, so they are added here from what
the operation is: a body or query parameters can be invalid (400) and the body's media type
unsupported (415); a client without a valid token or session gets 401 (token authentication
comes first, so DRF challenges with `WWW-Authenticate: Token`) and a 403 where one can come:
a permission stricter than "signed in", or a view that takes sessions (the CSRF check, and
the services that refuse a signed-in user); a token-only view that asks no more than a
signed-in client (DELETE /api/auth/token/) never answers 403;
a path id or a page that does not exist is 404; a throttled view answers 429 with
Retry-After. Codes a view documents itself (409, 422, 413, ...) are left as it declares them.
A body over the size limit is a 413 everywhere (apps.core.parsers).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"
PAGINATION_PARAMS = {"page", "page_size"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "A request-level error, explained in `detail`.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "What was wrong with the request: each field (or `non_field_errors`) with its "
        "messages; errors inside nested fields nest. A body that cannot be parsed is "
        "explained in `detail`."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    # A field's messages, or (a nested serializer, a list of them, a dict's values) its
    # errors keyed by the nested field or position. Typed items, so generated clients keep it.
    "additionalProperties": {
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "object", "additionalProperties": {}},
                    ]
                },
            },
            {"type": "object", "additionalProperties": {}},
        ]
    },
    "minProperties": 1,
}


def error_ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error_response(description: str, name: str = ERROR) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": error_ref(name)}},
    }


def error(description: str, name: str = ERROR) -> OpenApiResponse:
    """For a view's own `extend_schema(responses={409: error(...)})`."""
    return OpenApiResponse(response=error_ref(name), description=description)


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        """`ordering` on a list whose view declares `ordering_fields` (apps.core.api.base)."""
        params = super().get_override_parameters()
        keys = getattr(self.view, "ordering_keys", None)
        if self.method == "GET" and keys and keys() and self._is_list_view():
            default = self.view.ordering_default
            params = [
                *params,
                OpenApiParameter(
                    "ordering",
                    {"type": "string", "enum": keys()},
                    description="sort key; `-` before it sorts descending"
                    + (f" (default: {default})" if default else ""),
                ),
            ]
        return params

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        from apps.core.api.base import record_documented

        record_documented(
            type(self.view),
            method,
            {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"},
        )
        registry.register_on_missing(
            ResolvedComponent(ERROR, ResolvedComponent.SCHEMA, ERROR_SCHEMA, ERROR)
        )
        registry.register_on_missing(
            ResolvedComponent(
                VALIDATION_ERROR,
                ResolvedComponent.SCHEMA,
                VALIDATION_ERROR_SCHEMA,
                VALIDATION_ERROR,
            )
        )
        responses = operation["responses"]
        params = operation.get("parameters", [])
        query = {p["name"] for p in params if p["in"] in ("query", "header")}
        has_body = "requestBody" in operation
        if has_body or query:
            responses.setdefault(
                "400",
                error_response("Invalid input; each field names its problem.", VALIDATION_ERROR),
            )
        if any(not isinstance(p, AllowAny) for p in self.view.get_permissions()):
            responses.setdefault(
                "401", error_response("Not signed in, or the token is invalid or expired.")
            )
            if self._may_forbid():
                responses.setdefault("403", error_response("Not allowed to do this."))
        if any(p["in"] == "path" for p in params) or query & PAGINATION_PARAMS:
            responses.setdefault(
                "404", error_response("No such object among yours (or no such page).")
            )
        if has_body:
            responses.setdefault("415", error_response("The body's media type is not supported."))
            responses.setdefault(
                "413",
                error_response("The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (5 MiB)."),
            )
        if self.view.get_throttles():
            response = error_response("Too many requests; retry after `Retry-After` seconds.")
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
            }
            responses.setdefault("429", response)
        return operation

    def _may_forbid(self) -> bool:
        sessions = any(isinstance(a, SessionAuthentication) for a in self.view.get_authenticators())
        stricter = any(
            type(p) not in (AllowAny, IsAuthenticated) for p in self.view.get_permissions()
        )
        return sessions or stricter
