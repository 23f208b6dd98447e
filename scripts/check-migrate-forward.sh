#!/usr/bin/env bash
# A database built and filled by an earlier commit of main migrates forward with every row intact.
#
#   scripts/check-migrate-forward.sh [BASE_COMMIT]
#
# Checks BASE_COMMIT out in a temporary worktree, builds a fresh PostgreSQL database with its
# migrations, loads the protocol and CTCAE data, the demo users, patients and courses, and signs a
# record; fingerprints every table (row count and an md5 of its rows over its columns); migrates the database with
# this checkout; and compares the fingerprints over the old columns (new columns may be added). Tables whose rows the new migrations are meant to
# rewrite (migration bookkeeping, content types, permissions and the role grants synced from code)
# are compared by row count only, which may grow (new models add content types and permissions) but not shrink.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# The last commit of main before signatures and the audit trail moved to core/.
BASE=${1:-1a15b1898178d39af27a1ea09afa22051702704f}
PY="$ROOT/.venv/bin/python"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres} LOG_LEVEL=WARNING

if ! git cat-file -e "$BASE^{commit}" 2>/dev/null; then
  # A shallow clone has no history to build from; core/tests/test_migrations.py covers the move then.
  echo "check-migrate-forward: SKIPPED, commit $BASE is not in this clone (shallow checkout)" >&2
  exit 0
fi

DB="trial_migrate_forward_$$"
WORK=$(mktemp -d)
cleanup() {
  git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  dropdb --if-exists "$DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
createdb "$DB"
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"

echo "== build and fill the database with $BASE"
git worktree add --quiet --detach "$WORK/base" "$BASE"
(
  cd "$WORK/base"
  export DATABASE_URL="$URL" DJANGO_SETTINGS_MODULE=config.settings.local
  "$PY" manage.py migrate --noinput -v 0
  "$PY" manage.py load_protocol -v 0
  "$PY" manage.py load_ctcae -v 0
  "$PY" manage.py demo_setup > /dev/null
  "$PY" manage.py demo_dosing > /dev/null
  "$PY" manage.py shell -c "
from patients.models import Patient
from trial.models import User
from trial.services import signature_sign
patient = Patient.objects.order_by('pk').first()
signature_sign(record=patient, actor=User.objects.get(username='investigator-mda'),
               password='demo-password-2026', meaning='review', comment='signed before the move')
"
)

# The columns each table had in the old schema: new columns (with their defaults) are not a change of the old rows.
remember_columns() {
  psql -d "$DB" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE SCHEMA migrate_forward;
CREATE TABLE migrate_forward.columns AS
  SELECT table_name::text AS tbl, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS cols
  FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name;
SQL
}

# One line per old table: its name, row count and an md5 of its rows over the old columns (or MISSING).
fingerprint() {
  psql -d "$DB" -At -v ON_ERROR_STOP=1 <<'SQL'
DO $$
DECLARE t text; c text; n bigint; h text;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS fp (tbl text, rows bigint, digest text);
  TRUNCATE fp;
  FOR t, c IN SELECT tbl, cols FROM migrate_forward.columns ORDER BY tbl LOOP
    IF to_regclass(format('public.%I', t)) IS NULL THEN
      INSERT INTO fp VALUES (t, -1, 'MISSING');
      CONTINUE;
    END IF;
    EXECUTE format('SELECT count(*), md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) '
                   'FROM (SELECT %s FROM public.%I) x', c, t)
      INTO n, h;
    INSERT INTO fp VALUES (t, n, h);
  END LOOP;
END $$;
SELECT tbl || ' ' || rows || ' ' ||
  CASE WHEN tbl IN ('django_migrations', 'django_content_type', 'auth_permission', 'auth_group_permissions')
       THEN '-' ELSE digest END
FROM fp ORDER BY tbl;
SQL
}
remember_columns
fingerprint > "$WORK/before.txt"

echo "== migrate forward with $(git rev-parse --short HEAD)"
DATABASE_URL="$URL" DJANGO_SETTINGS_MODULE=config.settings.local "$PY" manage.py migrate --noinput -v 0
fingerprint > "$WORK/after.txt"

# Every table of the old database is still there with the same rows in its old columns (new tables and
# columns may be added).
missing=$(grep ' MISSING$' "$WORK/after.txt" | cut -d' ' -f1 || true)
# The bookkeeping tables (compared by row count): new models add content types, permissions and grants, so the
# count may grow; none may be lost.
BOOKKEEPING='^(django_migrations|django_content_type|auth_permission|auth_group_permissions) '
changed=$(grep -Fvx -f "$WORK/after.txt" "$WORK/before.txt" | grep -Ev "$BOOKKEEPING" || true)
shrunk=$(join <(grep -E "$BOOKKEEPING" "$WORK/before.txt" | sort) <(grep -E "$BOOKKEEPING" "$WORK/after.txt" | sort) \
  | awk '$4 < $2 {print $1 " " $2 " rows before, " $4 " after"}')
if [ -n "$shrunk" ]; then
  echo "check-migrate-forward: rows lost: $shrunk" >&2
  exit 1
fi
if [ -n "$missing" ] || [ -n "$changed" ]; then
  echo "check-migrate-forward: rows changed or lost" >&2
  [ -n "$missing" ] && echo "tables gone: $missing" >&2
  [ -n "$changed" ] && { echo "before:"; echo "$changed"; echo "after:"; grep -F -f <(echo "$changed" | cut -d' ' -f1 | sed 's/$/ /') "$WORK/after.txt"; } >&2
  exit 1
fi
rows=$(awk '{s += $2} END {print s}' "$WORK/before.txt")
echo "check-migrate-forward: $(wc -l < "$WORK/before.txt") tables, $rows rows from $BASE intact after migrating forward"

# The signature made before the move is read through the new core model.
DATABASE_URL="$URL" DJANGO_SETTINGS_MODULE=config.settings.local "$PY" manage.py shell -c "
from core.models import Signature
s = Signature.objects.get(comment='signed before the move')
assert s.record is not None and s.signer.has_perm('core.sign_records'), 'the moved signature or its grant is broken'
print('check-migrate-forward: signature by', s.printed_name, 'on', s.record, 'read through core.Signature')
"
