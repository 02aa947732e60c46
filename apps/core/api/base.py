"""The bases of every API view: a query parameter the operation does not take is a 400.

The OpenAPI schema is the contract, so it is also the list: an operation accepts the query
parameters its schema documents (its filters, `page` and `page_size` on a paginated list,
`ordering` where the view declares `ordering_fields`), plus a view's own
`extra_query_params` (`format` on the views that export, apps.core.export). Anything else is
refused before the view runs, one message per unknown name, instead of being silently
ignored (a misspelt filter used to return everything).

The documented names are read from the schema drf-spectacular generates (apps.core.schema
records them per view class and method while it builds each operation); it is built once per
process, at the first API request. A view that needs another name documents it with
``extend_schema(parameters=[...])``, or lists it in ``extra_query_params``.

``ordering_fields`` maps each public sort key to the model field(s) it orders by; the schema
lists them (ascending, and ``-`` descending) as the enum of ``ordering``, and
``self.ordered(queryset)`` applies ``?ordering=-key`` (any other value is a 400 naming the
choices); the primary key breaks ties.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from apps.core.api.serializers import query_value_error

ORDERING = "ordering"

_documented: dict[tuple[type, str], frozenset[str]] | None = None
_building: dict[tuple[type, str], frozenset[str]] | None = None
_lock = threading.Lock()


def record_documented(view_class: type, method: str, names: set[str]) -> None:
    """Called by the schema generator for each operation (apps.core.schema)."""
    if _building is not None:
        key = (view_class, method.upper())
        _building[key] = _building.get(key, frozenset()) | frozenset(names)


def documented_query_params() -> dict[tuple[type, str], frozenset[str]]:
    """(view class, method) -> the query parameter names the schema documents."""
    global _documented, _building
    if _documented is None:
        with _lock:
            if _documented is None:
                from drf_spectacular.generators import SchemaGenerator

                _building = {}
                try:
                    SchemaGenerator().get_schema(request=None, public=True)
                    _documented = _building
                finally:
                    _building = None
    return _documented


class StrictQueryMixin:
    """See the module docstring. Subclasses: ``ApiView`` and ``ApiGenericView``."""

    # Query parameters accepted beyond those the schema documents (e.g. read by a renderer).
    extra_query_params: Sequence[str] = ()
    # Public sort key -> model field(s) it orders by; `ordering_default` (a key, "-key" for
    # descending, "" for the queryset's own order) applies without `?ordering=`.
    ordering_fields: Mapping[str, str | Sequence[str]] = {}
    ordering_default: str = ""

    def listed_query_params(self, method: str) -> frozenset[str]:
        """The names this operation documents or declares (what a refusal lists)."""
        method = "GET" if method == "HEAD" else method
        documented = documented_query_params().get((type(self), method), frozenset())
        return documented | frozenset(self.extra_query_params)

    def allowed_query_params(self, method: str) -> frozenset[str]:
        return self.listed_query_params(method)

    def perform_content_negotiation(self, request, force=False):
        # A `format` this view does not take must not become DRF's bare 404 for a renderer
        # it lacks: negotiate without it; the check below then answers the 400 naming it
        # (after authentication, so a stranger still gets the 401 first).
        if "format" in request.query_params and "format" not in self.allowed_query_params(
            request.method
        ):
            force = True
        return super().perform_content_negotiation(request, force)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        handler = request.method.lower()
        if handler == "options" or not hasattr(self, handler):
            return  # OPTIONS describes the view; a method it lacks is DRF's 405
        allowed = self.allowed_query_params(request.method)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            takes = ", ".join(sorted(self.listed_query_params(request.method)))
            message = (
                f"unknown query parameter; this operation takes: {takes}"
                if takes
                else "unknown query parameter; this operation takes none"
            )
            raise serializers.ValidationError({name: [message] for name in unknown})

    def ordering_keys(self) -> list[str]:
        """The sort keys the schema's `ordering` enum lists: each field, ascending and descending."""
        return [key for name in self.ordering_fields for key in (name, f"-{name}")]

    def ordered(self, queryset):
        """``queryset`` in the order ``?ordering=`` asks (a key, ``-key`` for descending),
        else ``ordering_default``; the primary key breaks ties."""
        query = self.request.query_params
        key = self.ordering_default
        if ORDERING in query:
            if error := query_value_error(query, ORDERING):
                raise serializers.ValidationError({ORDERING: error})
            key = query[ORDERING]
            if key not in self.ordering_keys():
                raise serializers.ValidationError(
                    {ORDERING: [f"one of: {', '.join(self.ordering_keys())}"]}
                )
        if not key:
            return queryset
        descending = key.startswith("-")
        target = self.ordering_fields[key.lstrip("-")]
        fields = [target] if isinstance(target, str) else list(target)
        return queryset.order_by(
            *(f"-{f}" if descending else f for f in fields), "-pk" if descending else "pk"
        )


class ApiView(StrictQueryMixin, APIView):
    pass


class ApiGenericView(StrictQueryMixin, GenericAPIView):
    def paginate_queryset(self, queryset):
        """A list view's page, in the order `?ordering=` asks when it declares sort keys."""
        if self.ordering_fields and hasattr(queryset, "order_by"):
            queryset = self.ordered(queryset)
        return super().paginate_queryset(queryset)
