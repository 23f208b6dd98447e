# syntax=docker/dockerfile:1
# Production image: Django + gunicorn (web), the same image runs Celery worker/beat and migrations.
#   docker build -t trial-data .
#   docker compose up -d          (see docker-compose.yml and .env.example)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib

# Unprivileged runtime user; it owns nothing in /app (code, bytecode and collected static files are read-only to it).
ARG APP_UID=10001
ARG APP_GID=10001
RUN groupadd --system --gid "${APP_GID}" app \
    && useradd --system --uid "${APP_UID}" --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

# Dependencies first, so code changes reuse this layer. All pinned wheels (psycopg2-binary etc.): no compiler needed.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv "${VIRTUAL_ENV}" \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

WORKDIR /app
COPY . /app

# Static files (vendored Bootstrap/htmx included) are collected into /app/staticfiles at build time and
# served by WhiteNoise. The dummy values exist only for this RUN; the real ones come at run time.
RUN SECRET_KEY=build-only-not-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build-only.sqlite3 \
    && python -m compileall -q /app \
    && chmod 0755 /app/docker/entrypoint.sh \
    && install -d -o "${APP_UID}" -g "${APP_GID}" -m 0750 /var/lib/trial/exports

# Export jobs' files (a volume shared by web and worker; a new volume takes this directory's owner).
USER ${APP_UID}:${APP_GID}
EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "--config", "/app/docker/gunicorn.conf.py"]
