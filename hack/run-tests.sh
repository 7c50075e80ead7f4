#!/usr/bin/env bash
# Runs the static checks and Jest, then prints `tests: N passed, M failed` alone on the last line
# (a check that fails counts as one failed test). Extra arguments go to Jest.
set -uo pipefail
cd "$(dirname "$0")/.."

results=.test-results
mkdir -p "$results"
rm -f "$results/jest.json"
failed_checks=0

for check in typecheck lint verify-generated; do
  echo "--- npm run $check"
  if ! npm run --silent "$check"; then
    echo "--- $check failed"
    failed_checks=$((failed_checks + 1))
  fi
done

echo "--- jest $*"
npx --no-install jest --runInBand --verbose --json --outputFile="$results/jest.json" "$@"
jest_rc=$?

read -r passed failed < <(node -e '
  const fs = require("fs");
  let r = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 1 };
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
  // A suite that crashed before running its tests counts as one failure, so a broken file cannot pass silently.
  console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites);' "$results/jest.json")
failed=$((failed + failed_checks))

echo "tests: $passed passed, $failed failed"
[ "$jest_rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
