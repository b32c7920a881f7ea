from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset pages by id: constant cost however deep the page."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500
