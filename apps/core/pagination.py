from rest_framework.pagination import PageNumberPagination

from apps.core.api.serializers import query_int


class DefaultPagination(PageNumberPagination):
    """Pages of 50 by default; `page_size` from 1 to 500 and `page` from 1 (anything else is a
    400 naming it, not a silent default); a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request) -> int:
        return query_int(
            request.query_params, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def get_page_number(self, request, paginator) -> int:
        return query_int(request.query_params, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        for p in params:
            p["schema"]["minimum"] = 1
            if p["name"] == self.page_size_query_param:
                p["schema"]["maximum"] = self.max_page_size
        return params
