#!/usr/bin/env bash
# Installs the Debian packages the app and its tests need, only when missing:
# fonts-noto-cjk (Chinese in PDFs), chromium (browser tests), poppler-utils (PDF checks),
# PostgreSQL's client tools (backup/restore), and LibreOffice's headless Writer and Calc
# (the tests open the .docx and .xlsx reports as an office would). Needs root or sudo when something is missing.
set -euo pipefail
needed=(fonts-noto-cjk chromium poppler-utils postgresql-client libpango-1.0-0 libpangoft2-1.0-0
        libreoffice-writer-nogui libreoffice-calc-nogui)
missing=()
for pkg in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
