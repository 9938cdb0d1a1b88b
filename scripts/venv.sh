# Sourced by demo.sh and test.sh: make .venv and install the package (with the extras given in $1).
# The install is skipped when pyproject.toml and the extras are unchanged since the last one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.flex-segments-installed"
want="$(cat pyproject.toml; echo "extras=${1:-}")"
want="$(printf '%s' "$want" | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
case " $have " in
  *" $want "*) ;;
  *)
    # Drop pip's warnings about configured package mirrors that do not exist on this machine.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${1:-}" \
      2> >(grep -v "is neither a file nor a directory" >&2)
    echo "$have $want" > "$stamp"
    ;;
esac
