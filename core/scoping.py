"""Site scoping: every clinical queryset can be restricted to the sites a user belongs to."""

from .audit.guard import AuditedQuerySet


class SiteScopedQuerySet(AuditedQuerySet):
    """A queryset of records that belong to a site, reached through ``site_lookup``.

    Subclasses (or ``as_manager`` users) set ``site_lookup`` to the path from the model to its
    ``Site`` (``"site"``, ``"patient__site"``, …). ``for_user`` keeps only the rows of the user's
    sites; a user with no sites sees nothing, and so does an anonymous user.
    """

    site_lookup = "site"

    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{f"{self.site_lookup}__in": user.site_ids()})


def scoped_queryset(site_lookup):
    """A SiteScopedQuerySet class whose rows reach their site through ``site_lookup``."""
    return type(f"SiteScopedQuerySet_{site_lookup}", (SiteScopedQuerySet,), {"site_lookup": site_lookup})
