# Sourced by demo.sh and test.sh: make .venv and install the package (with extras given in $1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# This machine's pip config names local mirrors that may be absent; drop those warnings only.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${1:-}" \
  2> >(grep -v "is neither a file nor a directory" >&2)
