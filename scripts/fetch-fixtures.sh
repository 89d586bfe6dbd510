#!/usr/bin/env bash
# Fetches the small registry-shipped portraits that the core tests use, pinned and verified:
#  - pigo's testdata/sample.jpg from the Go module github.com/esimov/pigo@v1.4.6 (MIT; verified by go.sum / sumdb)
#  - the demo photos of the npm package @vladmandic/face-api@1.7.15 (MIT; npm integrity checked)
# into .cache/fixtures/ (git-ignored). The larger dev set in ../shared/testdata/portraits is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/fixtures
mkdir -p "$out"


if [ ! -f "$out/pigo_sample.jpg" ]; then
  dir=$(go mod download -json github.com/esimov/pigo@v1.4.6 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp "$dir/testdata/sample.jpg" "$out/pigo_sample.jpg"
  chmod 644 "$out/pigo_sample.jpg"
fi

if [ ! -f "$out/faceapi_sample1.jpg" ]; then
  command -v npm >/dev/null || { echo "fetch-fixtures: npm is required" >&2; exit 1; }
  want="WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null)
  got=$(openssl dgst -sha512 -binary "$tmp"/*.tgz | base64 -w0)
  [ "$got" = "$want" ] || { echo "fetch-fixtures: integrity mismatch for @vladmandic/face-api@1.7.15" >&2; exit 1; }
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/demo
  for i in 1 2 3 4 5 6; do cp "$tmp/package/demo/sample$i.jpg" "$out/faceapi_sample$i.jpg"; done
fi
echo "fixtures: ready in $out"
