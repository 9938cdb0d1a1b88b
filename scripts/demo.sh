#!/usr/bin/env bash
# Install the package into .venv and run the main job against the bundled emulator.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh" ""
exec .venv/bin/flex-segments-dagster demo "$@"
