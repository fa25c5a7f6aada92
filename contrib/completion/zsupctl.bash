# bash completion for zsupctl. Subcommands and options come from zsupctl's
# own --help (so they never go stale), node names from `zsupctl status
# --json` on the zsupd the command line points at; when zsupd is down that
# gives nothing, quietly, within --timeout 0.5.

# The zsupctl options that say which zsupd, as typed so far.
_zsupctl_target() {
  local i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --state-dir|--endpoint|--events|--server-key|--client-key|--hosts|--host)
        printf '%s\n' "$w" "${COMP_WORDS[i+1]}"; ((i++)) ;;
      --state-dir=*|--endpoint=*|--events=*|--server-key=*|--client-key=*|--hosts=*|--host=*)
        printf '%s\n' "$w" ;;
    esac
  done
}

_zsupctl_nodes() {
  command -v python3 >/dev/null || return
  local -a target
  mapfile -t target < <(_zsupctl_target)
  "$1" "${target[@]}" --timeout 0.5 status --json 2>/dev/null | python3 -c '
import json, sys
try:
    for node in json.load(sys.stdin):
        print(node["name"])
except Exception:
    pass' 2>/dev/null
}

# Whether option $2 takes a value ("--lines INT", "-n,--lines INT"), per help $1.
_zsupctl_takes_value() {
  [[ $2 == -* && $2 != *=* ]] &&
    grep -qE -- "^  ([^ ]*,)?$2(,[^ ]*)? (TEXT|U?INT|FLOAT|BOOLEAN|ENUM)" <<<"$1"
}

# Words of one section ("Subcommands", "Options", "Positionals") of a --help.
_zsupctl_section() {
  awk -v want="$1:" '
    /^[^ ].*:$/ { in_section = ($0 == want); next }
    in_section && /^  [^ ]/ { print $1 }' | tr ',' '\n'
}

_zsupctl() {
  local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  # The subcommand words typed so far (a cluster's subcommand too), and
  # whether "--" came: what follows it is a program and its arguments.
  local -a path=()
  local i w help dashes=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -- ]]; then dashes=$i; break; fi
    [[ $w == -* ]] && continue
    # a word after an option that takes a value is that value
    help=$("$prog" "${path[@]}" --help 2>/dev/null) || return
    _zsupctl_takes_value "$help" "${COMP_WORDS[i-1]}" && continue
    if _zsupctl_section Subcommands <<<"$help" | grep -qxF -- "$w"; then path+=("$w"); fi
  done
  if ((dashes)); then
    if ((COMP_CWORD == dashes + 1)); then
      mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return
  fi
  help=$("$prog" "${path[@]}" --help 2>/dev/null) || return
  # The value of an option ("--state-dir DIR"): a file or directory name.
  if _zsupctl_takes_value "$help" "$prev"; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return
  fi
  local -a words
  if [[ $cur == -* ]]; then
    mapfile -t words < <(_zsupctl_section Options <<<"$help")
  else
    mapfile -t words < <(_zsupctl_section Subcommands <<<"$help")
    if ((${#path[@]})) && _zsupctl_section Positionals <<<"$help" | grep -qx 'NODE'; then
      mapfile -t -O "${#words[@]}" words < <(_zsupctl_nodes "$prog")
    fi
  fi
  mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
}
complete -F _zsupctl zsupctl
