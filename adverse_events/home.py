"""The adverse-events panel of the home page: SAE reports due with their clock, and lab values proposing an AE that
await confirmation, at the user's sites (registered in ``AdverseEventsConfig.ready``). A fixed number of queries:
a count and the first rows of each."""

from core.registry import first_rows

from . import selectors

SAE_PERMISSION = "adverse_events.change_adverseevent"  # records the SAE report (adverse_events:sae-report)
PROPOSAL_PERMISSION = "adverse_events.change_labresult"  # confirms or dismisses a proposal (lab-confirm, lab-dismiss)


def home_adverse_events_panel(context):
    user = context["user"]
    show_saes, show_proposals = user.has_perm(SAE_PERMISSION), user.has_perm(PROPOSAL_PERMISSION)
    if not (show_saes or show_proposals):
        return {"show": False}
    panel = {"show": True, "show_saes": show_saes, "show_proposals": show_proposals, "perms": context.get("perms")}
    if show_saes:
        panel["sae_count"], saes = first_rows(selectors.sae_reports_due(user))
        panel["saes"] = selectors.ae_rows(saes) if saes else []
    if show_proposals:
        panel["proposal_count"], panel["proposals"] = first_rows(selectors.open_lab_proposals_of_sites(user))
    return panel
