#compdef zsupctl
# zsh completion for zsupctl. Subcommands (with their descriptions) and
# options come from zsupctl's own --help, node names from `zsupctl status
# --json` on the zsupd the command line points at; when zsupd is down that
# gives nothing, quietly, within --timeout 0.5.

# Lines "NAME<TAB>DESCRIPTION" of one section of a --help.
_zsupctl_section() {
  awk -v want="$1:" '
    /^[^ ].*:$/ { in_section = ($0 == want); next }
    in_section && /^  [^ ]/ {
      n = split($1, names, ","); sub(/^  [^ ]+( [A-Z][^ ]*)*( \.\.\.)? */, "")
      for (k = 1; k <= n; k++) print names[k] "\t" $0 }'
}

# Whether option $2 takes a value ("--lines INT", "-n,--lines INT"), per help $1.
_zsupctl_takes_value() {
  [[ $2 == -* && $2 != *=* ]] &&
    print -r -- $1 | grep -qE -- "^  ([^ ]*,)?$2(,[^ ]*)? (TEXT|U?INT|FLOAT|BOOLEAN|ENUM)"
}

_zsupctl() {
  local prog=$words[1] help w prev i
  local -a path target
  integer dashes=0
  for (( i = 2; i < CURRENT; i++ )); do
    w=$words[i]
    if [[ $w == -- ]]; then dashes=i; break; fi
    case $words[i-1] in
      --state-dir|--endpoint|--events|--server-key|--client-key|--hosts|--host)
        target+=($words[i-1] $w); continue ;;
    esac
    [[ $w == -* ]] && continue
    help=$($prog $path --help 2>/dev/null) || return 1
    # a word after an option that takes a value is that value
    _zsupctl_takes_value $help $words[i-1] && continue
    print -r -- $help | _zsupctl_section Subcommands | cut -f1 | grep -qxF -- $w && path+=($w)
  done
  if (( dashes )); then
    if (( CURRENT == dashes + 1 )); then _command_names -e; else _files; fi
    return
  fi
  help=$($prog $path --help 2>/dev/null) || return 1
  prev=$words[CURRENT-1]
  if _zsupctl_takes_value $help $prev; then
    _files
    return
  fi
  local -a items
  if [[ $PREFIX == -* ]]; then
    items=(${(f)"$(print -r -- $help | _zsupctl_section Options | sed 's/:/\\:/g; s/\t/:/')"})
    _describe -t options option items
    return
  fi
  items=(${(f)"$(print -r -- $help | _zsupctl_section Subcommands | sed 's/:/\\:/g; s/\t/:/')"})
  (( $#items )) && _describe -t commands subcommand items
  if (( $#path )) && print -r -- $help | _zsupctl_section Positionals | cut -f1 | grep -qx NODE; then
    local -a nodes
    (( $+commands[python3] )) && nodes=(${(f)"$($prog $target --timeout 0.5 status --json 2>/dev/null |
      python3 -c '
import json, sys
try:
    for node in json.load(sys.stdin):
        print(node["name"])
except Exception:
    pass' 2>/dev/null)"})
    (( $#nodes )) && compadd -a nodes
  fi
}

_zsupctl "$@"
