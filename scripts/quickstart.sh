#!/usr/bin/env bash
# Quick start, command 1: set everything up, then run the main job — bring up lanrage0 with
# keys and an address on the default backend, and show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./lanrage up
./lanrage status
