#!/usr/bin/env bash
# Waits until the sharded load Job has ended, takes each shard's result from its pod's log and
# merges them: deploy/k8s/collect.sh [JOB] [DIR]. Writes DIR/shard-K.log and DIR/merged.json.
# Exit status: the merge's (0 merged; 1 a shard missing or failed, named on stderr; 2 bad input).
#   JOB     the Job's name (default mqtt-testbench-load)
#   DIR     where to write (default results/JOB)
#   KUBECTL the kubectl command (default kubectl; e.g. "kubectl -n load")
#   MQTT_TESTBENCH  the mqtt-testbench command (default "npx mqtt-testbench"; or
#                   "docker run --rm -v $PWD:/w -w /w mqtt-testbench:0.1.0")
#   TIMEOUT_S       how long to wait for the Job (default 7200)
set -euo pipefail

job=${1:-mqtt-testbench-load}
dir=${2:-results/$job}
kubectl=${KUBECTL:-kubectl}
mqtt_testbench=${MQTT_TESTBENCH:-npx mqtt-testbench}
timeout_s=${TIMEOUT_S:-7200}
poll_s=5

completions=$($kubectl get job "$job" -o 'jsonpath={.spec.completions}')
echo "collect: job $job, $completions shards; waiting for it to end (at most ${timeout_s} s)" >&2
waited=0
until conditions=$($kubectl get job "$job" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}') &&
  [[ " $conditions " == *" Complete "* || " $conditions " == *" Failed "* ]]; do
  if ((waited >= timeout_s)); then
    echo "collect: job $job has not ended after ${timeout_s} s (conditions: ${conditions:-none})" >&2
    exit 1
  fi
  sleep "$poll_s"
  waited=$((waited + poll_s))
done
echo "collect: job $job ended ($conditions)" >&2

mkdir -p "$dir"
for ((index = 0; index < completions; index++)); do
  log="$dir/shard-$((index + 1)).log"
  # --tail=-1: with a selector kubectl prints only the last 10 lines by default.
  if ! $kubectl logs --tail=-1 \
    -l "batch.kubernetes.io/job-name=$job,batch.kubernetes.io/job-completion-index=$index" >"$log"; then
    echo "collect: no log for shard $((index + 1))/$completions (its pod is gone?)" >&2
  fi
done
$mqtt_testbench merge --mode workers "$dir/merged.json" "$dir"/shard-*.log
