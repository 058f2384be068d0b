#!/usr/bin/env bash
# Packaging check: build the collection tarball, make sure it carries no
# dev-only content, install it into a temporary path and render the docs of
# every module, inventory plugin and role from that install (not from the checkout).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

ansible-galaxy collection build --force --output-path "$tmp/dist" . >/dev/null
tarball="$(ls "$tmp"/dist/edgeops-ecs_anywhere-*.tar.gz)"
echo ">> built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

forbidden='^(tests|sandbox|molecule|inventories|\.venv|\.ci|\.tmp|\.cache|\.collections|scripts|\.git)(/|$)|^(Makefile|requirements-dev\.txt|ansible\.cfg|site\.yml|\.ansible-lint|\.yamllint)$'
listing="$(tar -tzf "$tarball" | sed 's#^\./##')"
bad="$(grep -E "$forbidden" <<<"$listing" || true)"
if [ -n "$bad" ]; then
  echo "the tarball carries dev-only content (add it to build_ignore in galaxy.yml):" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
for must in MANIFEST.json FILES.json meta/runtime.yml README.md; do
  grep -qx "$must" <<<"$listing" || { echo "tarball lacks $must" >&2; exit 1; }
done

# Install from the tarball into an isolated path; dependencies are bundled with
# the ansible package (Galaxy is not reachable), hence --no-deps.
ansible-galaxy collection install --force --no-deps -p "$tmp/install" "$tarball" >/dev/null
printf '[defaults]\ncollections_path = %s\n' "$tmp/install" >"$tmp/ansible.cfg"
export ANSIBLE_CONFIG="$tmp/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$tmp/install" ANSIBLE_NOCOLOR=1
cd "$tmp"   # away from the checkout and its ansible.cfg
installed="$tmp/install/ansible_collections/edgeops/ecs_anywhere"
count=0
for m in "$installed"/plugins/modules/*.py; do
  name="edgeops.ecs_anywhere.$(basename "$m" .py)"
  out="$(ansible-doc "$name")" || { echo "ansible-doc failed for module $name" >&2; exit 1; }
  [ -n "$out" ] || { echo "ansible-doc rendered nothing for module $name" >&2; exit 1; }
  echo ">> ansible-doc module $name: $(echo "$out" | wc -l) lines"
  count=$((count + 1))
done
for p in "$installed"/plugins/inventory/*.py; do
  [ -e "$p" ] || continue
  name="edgeops.ecs_anywhere.$(basename "$p" .py)"
  out="$(ansible-doc -t inventory "$name")" || { echo "ansible-doc -t inventory failed for $name" >&2; exit 1; }
  [ -n "$out" ] || { echo "ansible-doc rendered nothing for inventory plugin $name" >&2; exit 1; }
  echo ">> ansible-doc inventory $name: $(echo "$out" | wc -l) lines"
  count=$((count + 1))
done
for r in "$installed"/roles/*/; do
  name="edgeops.ecs_anywhere.$(basename "$r")"
  out="$(ansible-doc -t role "$name")" || { echo "ansible-doc -t role failed for $name" >&2; exit 1; }
  echo "$out" | grep -qE "ENTRY POINT: [*]?main[*]? " || { echo "role $name renders no main entry point" >&2; exit 1; }
  echo ">> ansible-doc role $name: $(echo "$out" | grep -c 'ENTRY POINT') entry point(s)"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "no module or role found in the installed collection" >&2; exit 1; }
echo "package check passed: $count modules, inventory plugins and roles documented from the installed tarball"
