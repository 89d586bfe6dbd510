#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (chromedp). Idempotent; a no-op when present.
# Without root or apt the browser tests skip with a message saying how to install it.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then echo "chromium: $(chromium --version 2>/dev/null | head -1)"; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and cannot install (need root + apt-get); browser tests will be skipped" >&2; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1 || { echo "chromium: apt-get install failed" >&2; exit 1; }
echo "chromium: $(chromium --version 2>/dev/null | head -1)"
