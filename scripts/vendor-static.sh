#!/usr/bin/env bash
# Re-fetch the vendored front-end assets from the npm registry (never from a CDN) into static/vendor/.
#
#   scripts/vendor-static.sh                  # the pinned versions below
#   BOOTSTRAP_VERSION=5.3.9 HTMX_VERSION=2.0.11 scripts/vendor-static.sh
#
# Works with `npm pack` in a temporary directory: nothing is installed, no package.json is written.
# Files copied (flat, so templates use {% static 'vendor/bootstrap/bootstrap.min.css' %} etc.):
#   static/vendor/bootstrap/{bootstrap.min.css,bootstrap.min.css.map,bootstrap.bundle.min.js,bootstrap.bundle.min.js.map,LICENSE}
#   static/vendor/htmx/{htmx.min.js,LICENSE}
# The .map files must stay: the minified files name them in sourceMappingURL comments and
# collectstatic (ManifestStaticFilesStorage) fails when a referenced file is missing.
# Finally rewrites static/vendor/README.md with versions, licences, integrity and sha256 sums.
set -euo pipefail

BOOTSTRAP_VERSION="${BOOTSTRAP_VERSION:-5.3.9}"
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"

command -v npm >/dev/null 2>&1 || { echo "vendor-static: npm is required" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fetch() {  # fetch NAME VERSION -> unpacks into $TMP/NAME/package, prints the tarball's integrity
    local name="$1" version="$2" tgz
    mkdir -p "$TMP/$name"
    tgz="$(cd "$TMP/$name" && npm pack --silent "$name@$version" | tail -n 1)"
    tar -xzf "$TMP/$name/$tgz" -C "$TMP/$name"
    (cd "$TMP/$name" && npm view "$name@$version" dist.integrity 2>/dev/null) || echo "unknown"
}

echo "vendor-static: bootstrap@$BOOTSTRAP_VERSION, htmx.org@$HTMX_VERSION"
BS_INTEGRITY="$(fetch bootstrap "$BOOTSTRAP_VERSION")"
HX_INTEGRITY="$(fetch htmx.org "$HTMX_VERSION")"

BS="$TMP/bootstrap/package"
HX="$TMP/htmx.org/package"
BS_ACTUAL="$(node -p "require('$BS/package.json').version")"
HX_ACTUAL="$(node -p "require('$HX/package.json').version")"
BS_LICENSE="$(node -p "require('$BS/package.json').license")"
HX_LICENSE="$(node -p "require('$HX/package.json').license")"

rm -rf "$VENDOR/bootstrap" "$VENDOR/htmx"
mkdir -p "$VENDOR/bootstrap" "$VENDOR/htmx"
install -m 0644 "$BS/dist/css/bootstrap.min.css" "$BS/dist/css/bootstrap.min.css.map" \
    "$BS/dist/js/bootstrap.bundle.min.js" "$BS/dist/js/bootstrap.bundle.min.js.map" \
    "$BS/LICENSE" "$VENDOR/bootstrap/"
install -m 0644 "$HX/dist/htmx.min.js" "$HX/LICENSE" "$VENDOR/htmx/"

sums() { (cd "$VENDOR" && sha256sum bootstrap/* htmx/* | sed 's/^/    /'); }

cat >"$VENDOR/README.md" <<MD
# Vendored front-end assets

Served by Django/WhiteNoise from this origin only; the app never loads anything from a CDN
(the Content-Security-Policy allows only \`'self'\`). Do not edit these files by hand:
re-run \`scripts/vendor-static.sh\` (optionally with \`BOOTSTRAP_VERSION=\` / \`HTMX_VERSION=\`).

| name | version | licence | files | reproduce |
| --- | --- | --- | --- | --- |
| bootstrap | $BS_ACTUAL | $BS_LICENSE (\`bootstrap/LICENSE\`) | \`bootstrap/bootstrap.min.css\` (+ \`.map\`), \`bootstrap/bootstrap.bundle.min.js\` (+ \`.map\`; includes Popper) | \`npm pack bootstrap@$BS_ACTUAL\`, then copy \`package/dist/css/bootstrap.min.css*\`, \`package/dist/js/bootstrap.bundle.min.js*\`, \`package/LICENSE\` |
| htmx.org | $HX_ACTUAL | $HX_LICENSE (\`htmx/LICENSE\`) | \`htmx/htmx.min.js\` | \`npm pack htmx.org@$HX_ACTUAL\`, then copy \`package/dist/htmx.min.js\`, \`package/LICENSE\` |

The \`.map\` files are kept because the minified files reference them (\`sourceMappingURL\`) and
\`collectstatic\` with the manifest storage fails when a referenced file is missing.

npm tarball integrity:

- bootstrap@$BS_ACTUAL: \`$BS_INTEGRITY\`
- htmx.org@$HX_ACTUAL: \`$HX_INTEGRITY\`

sha256 of the vendored files:

$(sums)
MD

echo "vendor-static: wrote $VENDOR (bootstrap $BS_ACTUAL, htmx.org $HX_ACTUAL)"
