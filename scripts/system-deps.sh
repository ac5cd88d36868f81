#!/usr/bin/env bash
# Install from Debian's packages, only when missing:
#   runtime: Chromium (prints the reports' PDF and draws their charts; driven by Playwright,
#            never a downloaded browser) and a CJK font (without one Chinese draws as boxes);
#   tests:   the same, and poppler-utils (pdftotext, pdftoppm, pdffonts read the reports back).
# Usage: scripts/system-deps.sh [runtime|test]   (default: test)
# In runtime mode a machine where nothing can be installed (not root) only gets a warning:
# the dashboard runs, the PDF and HTML reports say Chromium is missing.
set -euo pipefail
mode="${1:-test}"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ "$mode" = test ]; then
    command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    if [ "$mode" = runtime ]; then
        echo "warning: missing Debian packages ${need[*]}: PDF and HTML reports need them" \
             "(sudo apt-get install ${need[*]})" >&2
        exit 0
    fi
    echo "missing Debian packages: ${need[*]} (run as root or: sudo apt-get install ${need[*]})" >&2
    exit 1
fi
echo "installing ${need[*]} ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
