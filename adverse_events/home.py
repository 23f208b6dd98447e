"""The adverse-events panel of the home page: SAE reports due with their clock, and lab values proposing an AE that
await confirmation, at the user's sites (registered in ``AdverseEventsConfig.ready``). A fixed number of queries:
a count and the first rows of each."""

from . import selectors

PANEL_ROWS = 5
SAE_PERMISSION = "adverse_events.change_adverseevent"  # records the SAE report (adverse_events:sae-report)
PROPOSAL_PERMISSION = "adverse_events.change_labresult"  # confirms or dismisses a proposal (lab-confirm, lab-dismiss)


def home_adverse_events_panel(context):
    user = context["user"]
    show_saes, show_proposals = user.has_perm(SAE_PERMISSION), user.has_perm(PROPOSAL_PERMISSION)
    if not (show_saes or show_proposals):
        return {"show": False}
    panel = {"show": True, "show_saes": show_saes, "show_proposals": show_proposals, "perms": context.get("perms")}
    if show_saes:
        saes = selectors.sae_reports_due(user)
        panel["sae_count"] = saes.count()
        panel["saes"] = selectors.ae_rows(saes[:PANEL_ROWS]) if panel["sae_count"] else []
    if show_proposals:
        proposals = selectors.open_lab_proposals_of_sites(user)
        panel["proposal_count"] = proposals.count()
        panel["proposals"] = list(proposals[:PANEL_ROWS]) if panel["proposal_count"] else []
    return panel
