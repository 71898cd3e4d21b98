#!/usr/bin/env bash
# Rebuild sim/assets/plotly-report.min.js: plotly.js with only the trace types the run report
# uses (scatter, scattergeo, heatmap), about 1.4 MB instead of 4.8 MB, and about a third of the
# full bundle's start-up time in the browser. The version must be the plotly.js that the
# installed plotly (Python) package bundles: sim/report/html.py falls back to the full bundle
# when the versions differ, so after upgrading plotly run this again and commit the result.
#
#   bash sim/assets/plotly-report/build.sh            # version from the installed plotly
#   bash sim/assets/plotly-report/build.sh 4.1.1      # or given
#
# Needs node >= 20 and npm with access to the npm registry.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
assets="$(dirname "$here")"
py="${PYTHON:-$assets/../../.venv/bin/python}"
version="${1:-$("$py" -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "plotly.js@$version" >/dev/null
tar -xzf "plotly.js-$version.tgz"
mkdir esb && (cd esb && npm init -y >/dev/null && npm install --silent --no-audit --no-fund esbuild@0.28)
cd package
npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund
cp "$here/index.js" index-report.js
ESBUILD="$work/esb/node_modules/esbuild" node "$here/build.js"
{
  printf '/**\n* plotly.js (report: scatter, scattergeo, heatmap - minified) v%s\n' "$version"
  printf '* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n* Licensed under the MIT license\n'
  printf '* Built for conflict-sim by sim/assets/plotly-report/build.sh from the npm package plotly.js@%s\n*/\n' "$version"
  cat dist/plotly-report.min.js
} > "$assets/plotly-report.min.js"
cp LICENSE "$assets/LICENSE-plotly.js.txt"
echo "wrote $assets/plotly-report.min.js ($(wc -c < "$assets/plotly-report.min.js") bytes, plotly.js $version)"
