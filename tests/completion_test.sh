#!/usr/bin/env bash
# The bash completion of zsupctl against a real zsupd: subcommands, options,
# node names from the running zsupd, and nothing (quickly, silently) when
# zsupd is down. Usage: completion_test.sh ZSUPD ZSUPCTL COMPLETION_FILE
set -euo pipefail
zsupd=$1 zsupctl=$2 completion=$3
dir=$(mktemp -d /tmp/zsup-completion.XXXXXX)
pid=
trap '[[ -n $pid ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$dir"' EXIT
PATH=$(dirname "$zsupctl"):$PATH
source "$completion"
cd "$dir"  # file names completed below are those of the state dir

failures=0
expect() {  # expect "WANTED" WORD...: the completions of the last word
  local wanted=$1; shift
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  _zsupctl 2>"$dir/stderr"
  local got="${COMPREPLY[*]}"
  if [[ $got != "$wanted" || -s $dir/stderr ]]; then
    echo "FAIL: '$*' completed to [$got], wanted [$wanted]; stderr: $(cat "$dir/stderr")"
    failures=$((failures + 1))
  fi
}

expect "status stop start" zsupctl st
expect "--json" zsupctl status --js
expect "apply" zsupctl cluster ap
expect "--state-dir" zsupctl --state-d
# zsupd is down: no node names, no message, no 5 s wait.
start=$SECONDS
expect "" zsupctl --state-dir "$dir" restart ""
(( SECONDS - start <= 2 )) || { echo "FAIL: completion with zsupd down took $((SECONDS - start)) s"; failures=$((failures + 1)); }

"$zsupd" --state-dir "$dir" --no-echo 2>"$dir/zsupd.log" &
pid=$!
for _ in $(seq 100); do "$zsupctl" --state-dir "$dir" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$zsupctl" --state-dir "$dir" create w1 -- sleep 600 >/dev/null
"$zsupctl" --state-dir "$dir" create w2 -- sleep 600 >/dev/null
expect "w1 w2" zsupctl --state-dir "$dir" restart ""
expect "w2" zsupctl --state-dir="$dir" tail --lines 3 w2
expect "w1 w2" zsupctl --state-dir "$dir" tail -n 3 w
expect "" zsupctl --state-dir "$dir" restart --namespace w  # a namespace, not a node
"$zsupctl" --state-dir "$dir" destroy --all >/dev/null
((failures == 0)) && echo "completion: all passed"
exit $((failures != 0))
