"""Benchmark of the investigator dashboards at 1,000 and 10,000 patients: `make bench`, `python -m bench.dashboards`.

Builds the patients with ``bench.cohort.grow_to`` (the reference cohort through the services, then clones in bulk)
in a throw-away database: SQLite in memory, or BENCH_DATABASE_URL (created if missing; run again, it is topped up),
e.g. ``make bench BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_x`` (which gives this one its own
database, ``bench_x_dashboards``). Sizes from BENCH_DASHBOARD_SIZES
(default ``1000,10000``), grown in increasing order in the same database. Then, logged in as an investigator of
every site, times each reports page and API report twice: cold (the cache cleared before each request) and cached
(the same request repeated, median of BENCH_CACHED_RUNS), with the ratio and each page's query count, so a query
count that does not grow with the patients shows across sizes. At the largest size it prints where the time of the
cold dashboard page goes (cProfile). Target (issue 12): cached ≤ 1 s, cold ≤ 5 s at 10,000 patients.
"""

import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import sys
import time

SIZES = sorted(int(s) for s in os.environ.get("BENCH_DASHBOARD_SIZES", "1000,10000").split(",") if s.strip())
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "1"))
CACHED_RUNS = int(os.environ.get("BENCH_CACHED_RUNS", "5"))
PROFILE = os.environ.get("BENCH_PROFILE", "1") != "0"
TARGET_CACHED_S, TARGET_COLD_S = 1.0, 5.0
PAGES = [
    ("dashboard", "reports:index", ()),
    ("Table 1", "reports:table1", ()),
    ("Table 2", "reports:table2", ()),
    ("survival OS", "reports:survival", ("os",)),
    ("survival OS figure (SVG)", "reports:survival-image", ("os", "all", "svg")),
    ("swimmer", "reports:swimmer", ()),
    ("API Table 2", "api-reports-table2", ()),
    ("API survival OS", "api-reports-survival", ("os",)),
]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist (a throw-away bench database)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg2
    from psycopg2 import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def investigator():
    """An investigator of every site (created once; given the sites added since)."""
    from trial.choices import Role
    from trial.models import Site, User
    from trial.services import user_create

    sites = list(Site.objects.all())
    user = User.objects.filter(username="bench-investigator").first()
    if user is None:
        return user_create(
            actor=None, username="bench-investigator", password="bench-pass-123", roles=[Role.INVESTIGATOR], sites=sites
        )
    user.sites.add(*sites)
    return user


def measure(client, url):
    """(cold seconds, cached median seconds, cold queries, cached queries) of GET ``url``."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cold, cached = [], []
    for _ in range(COLD_RUNS):
        cache.clear()
        with CaptureQueriesContext(connection) as cold_queries:
            start = time.perf_counter()
            response = client.get(url)
            cold.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    for _ in range(CACHED_RUNS):
        with CaptureQueriesContext(connection) as cached_queries:
            start = time.perf_counter()
            response = client.get(url)
            cached.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(cold), statistics.median(cached), len(cold_queries), len(cached_queries)


def profile_cold(client, url, top=10):
    """Where the time of one cold request goes: the project's functions by cumulative time, everything by own time."""
    from django.conf import settings
    from django.core.cache import cache

    cache.clear()
    pauses, began = [], []

    def gc_timer(phase, info):
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            pauses.append(time.perf_counter() - began.pop())

    gc.callbacks.append(gc_timer)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    gc.callbacks.remove(gc_timer)
    print(
        f"cold {url}, profiled: {len(pauses)} garbage collections took {sum(pauses):.2f} s "
        f"(longest {max(pauses, default=0):.2f} s)"
    )
    root = str(settings.BASE_DIR)
    for order, restriction, what in (
        ("cumulative", re.escape(root) + r"/(?!\.venv)", "the project's functions"),
        ("tottime", "", "all functions"),
    ):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(order)
        stats.print_stats(*([restriction] if restriction else []), top)
        lines = out.getvalue().replace(root + "/", "").splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"cold {url}, profiled: top {top} of {what} by {order} time")
        print("\n".join(line for line in lines[start : start + top + 1] if line.strip()))


def main():
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    url = os.environ.get("BENCH_DATABASE_URL") or "sqlite://:memory:"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from bench.cohort import grow_to
    from patients.models import Patient

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_protocol", verbosity=0)
    call_command("load_ctcae", verbosity=0)
    print(f"dashboards on {connection.vendor}, sizes {SIZES}, cold x{COLD_RUNS}, cached median of {CACHED_RUNS}")
    results = {}
    for size in SIZES:
        grow_to(size)
        client = Client()
        client.force_login(investigator())
        patients = Patient.objects.filter(sequence_number__isnull=False).count()
        print(f"\n{patients} registered patients ({connection.vendor})")
        print(f"{'page':28} {'cold s':>8} {'cached s':>9} {'cold/cached':>12} {'queries cold':>13} {'cached':>7}")
        for label, name, args in PAGES:
            cold, cached, q_cold, q_cached = measure(client, reverse(name, args=args))
            results[(size, label)] = (cold, cached, q_cold, q_cached)
            print(f"{label:28} {cold:8.3f} {cached:9.3f} {cold / cached:12.1f} {q_cold:13d} {q_cached:7d}")
    biggest = SIZES[-1]
    cold, cached, *_ = results[(biggest, "dashboard")]
    print(
        f"\ntarget at 10,000 patients: cached ≤ {TARGET_CACHED_S:.0f} s, cold ≤ {TARGET_COLD_S:.0f} s; "
        f"dashboard at {biggest}: cached {cached:.2f} s, cold {cold:.2f} s"
    )
    if len(SIZES) > 1:
        grown = [label for label, *_ in PAGES if results[(SIZES[0], label)][2] != results[(biggest, label)][2]]
        print("query counts constant in patients" if not grown else f"query counts grow with patients: {grown}")
    if PROFILE:
        print()
        profile_cold(client, reverse("reports:index"))


if __name__ == "__main__":
    sys.exit(main())
