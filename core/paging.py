"""Long lists on pages: one page at a time, the list's filters kept in the page links."""

from django.core.paginator import Page, Paginator


def paginate(request, rows, per_page: int) -> tuple[Page, str]:
    """The page ``?page=`` asks for (the last one if past the end, the first if not a number), and the request's
    query string without ``page``, for the links to the other pages."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
