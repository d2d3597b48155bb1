#!/usr/bin/env bash
# The shell part of action.yml: turns the action's inputs (INPUT_* variables) into one
# `mqtt-testbench test` command line, runs it in the workspace (paths in inputs are relative to
# it), and tells the workflow how it ended: `exit-code` and `report-dir` in $GITHUB_OUTPUT, and a
# note in $GITHUB_STEP_SUMMARY when no report was written (the testbench's reporter appends
# report.md there itself). Exits with the command's exit code (0 pass, 1 a verdict failed, 2 bad
# input). helpers/cli/action-script.test.ts runs it locally with fake GITHUB_* variables.
set -euo pipefail

action_path=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${GITHUB_WORKSPACE:?is not set: this script runs inside a GitHub Actions job (or a test that fakes one)}"
: "${GITHUB_OUTPUT:?is not set}"
: "${GITHUB_STEP_SUMMARY:?is not set}"

fail_input() {
  echo "::error title=mqtt-testbench::$1" >&2
  {
    echo "exit-code=2"
    echo "report-dir="
  } >>"$GITHUB_OUTPUT"
  printf '### mqtt-testbench: bad input\n\n%s\n' "$1" >>"$GITHUB_STEP_SUMMARY"
  exit 2
}

args=(test)
# Broker URLs contain no spaces: split on any whitespace. Forwarder specs may (command lines): one per line.
read -r -d '' -a urls <<<"${INPUT_BROKER:-}" || true
for url in "${urls[@]}"; do args+=(--broker "$url"); done
while IFS= read -r spec; do
  spec=${spec#"${spec%%[![:space:]]*}"}
  spec=${spec%"${spec##*[![:space:]]}"}
  [ -n "$spec" ] && args+=(--forwarder "$spec")
done <<<"${INPUT_FORWARDER:-}"

option() { # option NAME VALUE: --NAME VALUE when VALUE is not empty
  if [ -n "$2" ]; then args+=("--$1" "$2"); fi
}
option downstream "${INPUT_DOWNSTREAM:-}"
option upstream "${INPUT_UPSTREAM:-}"
option declaration "${INPUT_DECLARATION:-}"
option suites "${INPUT_SUITES:-}"
option profile "${INPUT_PROFILE:-}"
option runtime "${INPUT_RUNTIME:-}"
option ca "${INPUT_CA:-}"
option username "${INPUT_USERNAME:-}"
option mqtt5 "${INPUT_MQTT5:-}"
option queues-qos0 "${INPUT_QUEUES_QOS0:-}"
option gates "${INPUT_GATES:-}"
option baseline "${INPUT_BASELINE:-}"

report_dir=${INPUT_REPORT_DIR:-mqtt-testbench-reports}
case "$report_dir" in
  /*) ;;
  *) report_dir="$GITHUB_WORKSPACE/$report_dir" ;;
esac
args+=(--report-dir "$report_dir")

case "${INPUT_STRICT:-true}" in
  true) args+=(--strict) ;;
  false) ;;
  *) fail_input "input strict: got \"${INPUT_STRICT}\"; allowed: true or false." ;;
esac

# The password goes to the testbench in its environment only (never a command line, never printed).
unset MQTT_TESTBENCH_EXTERNAL_PASSWORD
if [ -n "${INPUT_PASSWORD:-}" ]; then
  [ -n "${INPUT_USERNAME:-}" ] || fail_input 'input password needs input username.'
  export MQTT_TESTBENCH_EXTERNAL_PASSWORD="$INPUT_PASSWORD"
fi
unset INPUT_PASSWORD

echo "mqtt-testbench ${args[*]}"
cd "$GITHUB_WORKSPACE"
code=0
node "$action_path/dist/mqtt-testbench.mjs" "${args[@]}" || code=$?

{
  echo "exit-code=$code"
  echo "report-dir=$report_dir"
} >>"$GITHUB_OUTPUT"
# One report per --broker when several are named (in numbered folders), else report_dir/latest.
if ! find "$report_dir" -name report.md -path '*/latest/*' 2>/dev/null | grep -q .; then
  printf '### mqtt-testbench: no report\n\n`mqtt-testbench test` exited %s before writing a report: see the log of the step "mqtt-testbench test".\n' "$code" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
