#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's test command (make check): installs what the suite needs on
# a Debian 12 machine, then runs tests/run.sh. Needs root.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# the suite budgets its lab retries from here (tests/run.sh)
export KVMMEM_CHECK_START=${KVMMEM_CHECK_START:-$(date +%s)}
"$top/scripts/install-deps.sh" || exit 1
exec "$top/tests/run.sh" "$@"
