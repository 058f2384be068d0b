# shellcheck shell=bash
# Shared by the role_* targets' runme.sh (source it after setting `config`).
# step <expect: changed|unchanged|any> <label> <ansible-playbook args...>
# Runs `ansible-playbook -i inventory.yml -e @$config ${step_args[@]} <args>`,
# keeps its output in $step_log, prints it and exits 1 when the play fails or
# the PLAY RECAP's changed count is not what was expected.
# Set by the caller: step_args (extra arguments, an array, may be empty),
# step_log (file for the output; default: a file in a fresh temp dir).
: "${config:?set config (the integration_config.yml) before sourcing step.sh}"
step_log="${step_log:-$(mktemp -d)/run.log}"

step() {
  local expect=$1 label=$2 changed
  shift 2
  echo "=== $label"
  # shellcheck disable=SC2154  # step_args is the caller's array
  if ! ansible-playbook -i inventory.yml -e @"$config" ${step_args[@]+"${step_args[@]}"} "$@" >"$step_log" 2>&1; then
    cat "$step_log"; echo "FAILED: $label"; exit 1
  fi
  changed=$(awk '/^PLAY RECAP/{r=1; next} r && /changed=/{sub(/.*changed=/, ""); sub(/ .*/, ""); s += $0} END {print s + 0}' "$step_log")
  case "$expect" in
    changed) [ "$changed" -gt 0 ] || { cat "$step_log"; echo "FAILED: $label: expected changes, got changed=0"; exit 1; } ;;
    unchanged) [ "$changed" -eq 0 ] || { cat "$step_log"; echo "FAILED: $label: expected no change, got changed=$changed"; exit 1; } ;;
  esac
  echo "ok: $label (changed=$changed)"
}
