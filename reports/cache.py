"""Finished reports, kept per (report, user's sites, filters, data version).

The data version is the newest history row of every audited table, read in one query. Every audited write (create,
change, withdrawal, in any process) adds a history row, so the version moves with any change to what the reports
read. The next visit computes afresh, and a repeated visit computes nothing. Reports keep numbers, not records
(:class:`reports.selectors.CohortSummary`), so what is cached is small; the cache is Django's (``CACHE_URL``:
Redis in production, shared by every worker; memory of one process by default).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from core.audit.integrity import newest_history_ids

from .filters import ReportFilters

T = TypeVar("T")
KEY_PREFIX = "reports:1"
NOT_READ = frozenset({"exports"})  # apps whose records no report reads (an export's record, a subject key)


def data_version() -> str:
    """A digest of the newest history id of each audited table: it changes whenever an audited record does."""
    newest = newest_history_ids(leave_out_apps=NOT_READ)
    return hashlib.sha256(repr(sorted(newest.items())).encode()).hexdigest()[:20]


def report_key(kind: str, user, filters: ReportFilters, params: tuple = ()) -> str:
    sites = ",".join(str(pk) for pk in sorted(user.site_ids()))
    scope = f"{kind}|{sites}|{filters.query_string()}|{params!r}"
    return f"{KEY_PREFIX}:{hashlib.sha256(scope.encode()).hexdigest()[:32]}:{data_version()}"


def cached_report(kind: str, user, filters: ReportFilters, build: Callable[[], T], *params) -> T:
    """The report ``kind`` for these sites, filters and ``params``: from the cache while the data are unchanged,
    else built by ``build()`` and kept. The version is read before building, so a write during the build makes
    the next visit compute again."""
    key = report_key(kind, user, filters, params)
    found = cache.get(key)
    if found is None:
        with collector_paused():
            found = build()
        cache.set(key, found, settings.REPORTS_CACHE_SECONDS)
    return found


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a report is built.

    A build makes some 100,000 short-lived objects (model instances, endpoints) and almost no reference cycles. The
    collector's passes over them took half of a cold build at 10,000 patients (``make bench``). Memory is still
    freed by reference counting; the collector runs again as usual once the build is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
