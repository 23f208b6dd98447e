"""Database triggers that make every history table append-only, installed after each ``migrate``.

A set-up step of the schema, not a business rule.
"""

from django.apps import apps
from django.db import connections

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Audit history is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def history_tables():
    """Database tables of every history model (all built on AppendOnlyHistory)."""
    from .guard import AppendOnlyHistory

    return sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnlyHistory))


def install_append_only_triggers(using="default"):
    """Make every history table refuse UPDATE (and DELETE on PostgreSQL) at the database level.

    On SQLite only UPDATE is refused: the test runner empties tables with DELETE there, while
    PostgreSQL uses TRUNCATE, which row triggers do not see.
    """
    connection = connections[using]
    tables = history_tables()
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in tables:
                if table not in existing:
                    continue
                cursor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION audit_history_append_only()"
                )
        elif connection.vendor == "sqlite":
            for table in tables:
                if table not in existing:
                    continue
                cursor.execute(
                    f'CREATE TRIGGER IF NOT EXISTS "{table}_append_only" BEFORE UPDATE ON "{table}" '
                    "BEGIN SELECT RAISE(ABORT, 'Audit history is append-only'); END;"
                )


def is_last_app(sender):
    """True for the post_migrate signal of the last installed app, when every model's table exists.

    Django sends post_migrate only to apps with a models module, so an app without models (``demo``,
    installed last) is skipped here.
    """
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    return sender.label == with_models[-1].label


def after_migrate(sender, using="default", **kwargs):
    if is_last_app(sender):
        install_append_only_triggers(using=using)
