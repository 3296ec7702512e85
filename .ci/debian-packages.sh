#!/usr/bin/env bash
# Debian packages the tests need: chromium (report renders in a real browser) and poppler-utils
# (pdftotext/pdftoppm read the PDF report). Installed when running as root (as CI does);
# otherwise we stop and print the command to run.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "Installing Debian packages for the tests: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "The tests need Debian packages: ${need[*]}"
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${need[*]}"
  exit 1
fi
