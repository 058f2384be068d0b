#!/usr/bin/env bash
# The build caches live outside the checkout, so that every clone on a machine
# (CI clones afresh on every run) reuses what an earlier one built:
#   $EDGEOPS_CACHE   default ${XDG_CACHE_HOME:-$HOME/.cache}/edgeops-ecs-anywhere
#     images/ mirror/ agents/ real-agents/ vagrant/ ...   (each keyed on its inputs by its builder)
#     venv/<key>/                                          the pinned toolchain, keyed on requirements-dev.txt
# In the checkout, `.cache` and `.venv` are symlinks into it; every script keeps
# using those two paths. A `.cache` or `.venv` that is a real directory (an
# older checkout) is left alone and used as it is.
#   scripts/cache.sh link           make the .cache link (and the directory)
#   scripts/cache.sh venv PYTHON    make the .venv link, building the venv when its key is new
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${EDGEOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeops-ecs-anywhere}"

link() {  # link NAME TARGET: ROOT/NAME -> TARGET unless NAME is a real directory
    local name="$ROOT/$1" target="$2"
    if [ -d "$name" ] && [ ! -L "$name" ]; then
        return 0
    fi
    if [ "$(readlink "$name" 2>/dev/null)" != "$target" ]; then
        ln -sfn "$target" "$name"
    fi
}

case "${1:-}" in
    link)
        mkdir -p "$CACHE"
        link .cache "$CACHE" ;;
    venv)
        python="${2:-python3}"
        mkdir -p "$CACHE/venv"
        # the key: the pinned requirements and the interpreter that runs them
        key="$( (cat "$ROOT/requirements-dev.txt"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
        venv="$CACHE/venv/$key"
        if [ -d "$ROOT/.venv" ] && [ ! -L "$ROOT/.venv" ]; then
            echo "cache.sh: .venv is a directory of its own (not the shared cache); remove it to use $venv" >&2
            venv="$ROOT/.venv"
            [ -f "$venv/.complete-$key" ] && exit 0
        fi
        exec 9>"$CACHE/venv/$key.lock"
        flock 9   # two clones building the same venv at once: one builds, the other waits
        if [ ! -f "$venv/.complete-$key" ]; then
            echo "==> creating the venv $venv from requirements-dev.txt"
            rm -rf "$venv"
            "$python" -m venv "$venv"
            "$venv/bin/pip" install -q --upgrade pip
            "$venv/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
            touch "$venv/.complete-$key"
        fi
        [ "$venv" = "$ROOT/.venv" ] || link .venv "$venv" ;;
    *)
        echo "usage: scripts/cache.sh link | venv [PYTHON]" >&2; exit 2 ;;
esac
