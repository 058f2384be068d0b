#!/usr/bin/env bash
# Run ansible-test on a physical copy of the collection (ansible-test refuses a
# symlinked path), offline-safe. Usage: scripts/ansible-test.sh sanity|units|integration [args...]
# The copy holds what the collection ships plus tests/: git-tracked and new
# untracked files, without sandbox/, molecule/, inventories/ and dev files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
work="${ANSIBLE_TEST_WORKDIR:-$root/.tmp/ansible-test}"
dest="$work/ansible_collections/edgeops/ecs_anywhere"

# Offline pip bootstrap for ansible-test's per-test virtual environments.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
pip_ver=24_2   # the pip version ansible-test 2.19 bootstraps
cmp -s "$root/scripts/ansible-test-get-pip.py" "$cache/get_pip_$pip_ver.py" ||
  cp "$root/scripts/ansible-test-get-pip.py" "$cache/get_pip_$pip_ver.py"

rm -rf "$dest"; mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z \
  | grep -zvE '^(sandbox|molecule|inventories|\.collections|\.ci|docs/.*\.png)(/|$)' \
  | grep -zvE '^(site\.yml|ansible\.cfg|Makefile|requirements-dev\.txt|execution-environment\.yml|bindep\.txt|\.ansible-lint|\.yamllint|\.gitignore)$' \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | rsync -a --from0 --files-from=- ./ "$dest/"
# ansible-test uses git to list files when it finds a repository: give the copy one.
( cd "$dest" && git init -q && git add -A >/dev/null 2>&1 ) || true
# Collections the sanity tests resolve (doc fragments of amazon.aws), beside the copy.
for ns in amazon community ansible; do
  ln -sfn "$venv/lib/python3.11/site-packages/ansible_collections/$ns" "$work/ansible_collections/$ns"
done
cd "$dest"
export PATH="$venv/bin:$PATH"
exec ansible-test "$@" --python 3.11
