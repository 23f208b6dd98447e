"""The reports' panels of the home page (registered in ``ReportsConfig.ready``): the dashboard's summary (patients in
scope, overall response rate with its exact 95% CI, median overall survival) and the ways to the data (the report
pages, the API schema and its documentation). Both for holders of ``reports.view_reports``; the summary's queries
are the dashboard's, whose number does not grow with the patients."""

from . import selectors
from .filters import ReportFilters

PERMISSION = "reports.view_reports"  # every report page


def home_summary_panel(context):
    """The dashboard's three numbers for all the user's sites, every version, every record entered so far."""
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    cohort = selectors.cohort(user, ReportFilters())
    table2 = selectors.table2(cohort)
    orr = next((row for row in table2.rows if row.key == "orr"), None)
    return {"show": True, "cohort": cohort, "orr": orr, "os": selectors.survival(cohort, "os")}


def home_data_panel(context):
    """Links to each report page and to the API's schema and documentation."""
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    return {"show": True, "endpoints": selectors.ENDPOINTS.values()}
