"""Container healthcheck for the web service: GET /healthz/ on the local gunicorn; exit 0 on HTTP 200.

Standard library only (urllib), so it works in the slim image. It sends:
- a Host header taken from ALLOWED_HOSTS (first usable entry), so Django does not answer 400;
- X-Forwarded-Proto: https (SECURE_PROXY_SSL_HEADER), so SECURE_SSL_REDIRECT does not answer 301.
Usage: python docker/healthcheck.py [URL]   (default http://127.0.0.1:8000/healthz/)
"""

import os
import sys
import urllib.error
import urllib.request


def host_header() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip().lstrip(".")
        if entry and entry != "*":
            return entry
    return "localhost"


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz/")
    if not url.startswith(("http://", "https://")):
        print(f"unhealthy: not an http(s) URL: {url}", file=sys.stderr)
        return 1
    request = urllib.request.Request(url, headers={"Host": host_header(), "X-Forwarded-Proto": "https"})  # noqa: S310
    timeout = float(os.environ.get("HEALTHCHECK_TIMEOUT", "5"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: HTTP {status} from {url}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
