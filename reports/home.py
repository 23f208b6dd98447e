"""The reports' panels of the home page (registered in ``ReportsConfig.ready``): the dashboard's summary (patients in
scope, overall response rate with its exact 95% CI, median overall survival) and the ways to the data (the report
pages, the API schema and its documentation). Both for holders of ``reports.view_reports``; the summary's queries
are the dashboard's (and its cached report), whose number does not grow with the patients."""

PERMISSION = "reports.view_reports"  # every report page


def home_summary_panel(context):
    """The dashboard's three numbers for all the user's sites, every version, every record entered so far."""
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    from . import selectors  # here, not at app start: they import lifelines and pandas
    from .filters import ReportFilters
    from .views import DASHBOARD, report_for

    dashboard = report_for(user, ReportFilters(), DASHBOARD, selectors.dashboard)  # shared with the dashboard page
    orr = next((row for row in dashboard.table2.rows if row.key == "orr"), None)
    return {"show": True, "cohort": dashboard.table2.cohort, "orr": orr, "os": dashboard.os}


def home_data_panel(context):
    """Links to each report page and to the API's schema and documentation."""
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    from .selectors import ENDPOINTS

    return {"show": True, "endpoints": ENDPOINTS.values()}
