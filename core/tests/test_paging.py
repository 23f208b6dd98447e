"""Long lists: the page asked for, with the list's filters kept in the links to the other pages."""

from django.test import RequestFactory

from core.paging import paginate


def test_the_page_asked_for_keeps_the_filters_but_not_the_page():
    request = RequestFactory().get("/log/", {"grade": "3", "page": "2", "soc": "Blood"})
    page, query = paginate(request, list(range(250)), 100)
    assert (page.number, list(page.object_list)[:2], page.paginator.num_pages) == (2, [100, 101], 3)
    assert query == "grade=3&soc=Blood"


def test_a_page_past_the_end_shows_the_last_and_nonsense_the_first():
    rows = list(range(150))
    assert paginate(RequestFactory().get("/", {"page": "9"}), rows, 100)[0].number == 2
    assert paginate(RequestFactory().get("/", {"page": "x"}), rows, 100)[0].number == 1
