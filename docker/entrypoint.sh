#!/bin/sh
# Image entrypoint: checks the settings every process needs, then runs the given command (as PID 1's child
# when compose's `init: true` is used, otherwise as PID 1 itself via exec).
#   docker run IMAGE                      -> gunicorn (the image's CMD)
#   docker run IMAGE celery -A config worker -l info
#   docker run IMAGE python manage.py migrate --noinput
set -eu

: "${DJANGO_SETTINGS_MODULE:=config.settings.production}"
export DJANGO_SETTINGS_MODULE

if [ "$DJANGO_SETTINGS_MODULE" = "config.settings.production" ]; then
    missing=""
    for var in SECRET_KEY ALLOWED_HOSTS DATABASE_URL; do
        eval "value=\${$var:-}"
        [ -n "$value" ] || missing="$missing $var"
    done
    if [ -n "$missing" ]; then
        echo "entrypoint: missing required environment variable(s):$missing (see .env.example)" >&2
        exit 64
    fi
fi

exec "$@"
