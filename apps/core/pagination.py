from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from apps.core.api.serializers import query_value_error


class DefaultPagination(PageNumberPagination):
    """Pages of 50 by default; `page_size` from 1 to 500 and `page` from 1 (anything else is a
    400 naming it, not a silent default); a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def _number(self, request, name: str, default: int, maximum: int | None = None) -> int:
        if name not in request.query_params:
            return default
        error = query_value_error(request.query_params, name)
        raw = request.query_params.get(name)
        if error is None and not (
            raw.isascii() and raw.isdigit() and 1 <= int(raw) <= (maximum or int(raw))
        ):
            error = [f"a whole number from 1 to {maximum}" if maximum else "a whole number from 1"]
        if error:
            raise ValidationError({name: error})
        return int(raw)

    def get_page_size(self, request) -> int:
        return self._number(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return self._number(request, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        for p in params:
            p["schema"]["minimum"] = 1
            if p["name"] == self.page_size_query_param:
                p["schema"]["maximum"] = self.max_page_size
        return params
