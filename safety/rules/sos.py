"""SOS risk rules (PROTOCOL.md §5)."""

from dateutil.relativedelta import relativedelta

from ..choices import RuleKind, Severity
from . import finding, rule


def inotuzumab_dates(ctx):
    return sorted(d for d in (ctx.given_on(a) for a in ctx.tracked_drug_given()) if d)


@rule("SOS-01", RuleKind.SOS_RISK, "SOS risk window open", Severity.INFO)
def sos_risk_window(ctx):
    """From the first inotuzumab dose to the SOS reporting window after the last one."""
    dates = inotuzumab_dates(ctx)
    if not dates:
        return []
    end = dates[-1] + relativedelta(months=int(ctx.param("sos_reporting_window_months")))
    if ctx.today > end:
        return []
    return [
        finding(
            sos_risk_window,
            f"Any SOS from {dates[0]} to {end} is reported (last inotuzumab dose {dates[-1]}).",
            window_start=dates[0],
            window_end=end,
            evidence={"first_inotuzumab": str(dates[0]), "last_inotuzumab": str(dates[-1])},
        )
    ]
