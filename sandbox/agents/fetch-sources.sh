#!/usr/bin/env bash
# Fetch AWS's agent sources at the pinned commits (sandbox/agents/SOURCES) and
# make the source tarballs sandbox/agents/build.sh builds from, with their
# SHA256SUMS, in OUT_DIR. For a machine without ../shared/vendor/aws-agents
# (a user's own machine with internet access); scripts/build-sandbox.sh runs
# it when the vendored sources are absent.
#   sandbox/agents/fetch-sources.sh OUT_DIR
#   env AWS_SSM_AGENT_GIT_URL, AWS_ECS_AGENT_GIT_URL   the repositories (default: AWS's on GitHub)
#       AWS_SSM_AGENT_COMMIT, AWS_ECS_AGENT_COMMIT     the commits (default: SOURCES)
# What it checks: each tarball is `git archive` of exactly the pinned commit
# (git's object ids are content hashes, so the commit id pins every file);
# the fetched tree has the files the build needs. A second run with the same
# commits reuses OUT_DIR. Exit 1 with what failed (which repository, which
# commit, git's own words) when it cannot.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="fetch-sources.sh"
OUT="${1:?usage: $SELF OUT_DIR}"
# shellcheck source=/dev/null
. "$HERE/VERSIONS"
# shellcheck source=/dev/null
. "$HERE/SOURCES"
SSM_URL="${AWS_SSM_AGENT_GIT_URL:-$SSM_AGENT_GIT_URL}"
ECS_URL="${AWS_ECS_AGENT_GIT_URL:-$ECS_AGENT_GIT_URL}"
SSM_COMMIT="${AWS_SSM_AGENT_COMMIT:-$SSM_AGENT_COMMIT}"
ECS_COMMIT="${AWS_ECS_AGENT_COMMIT:-$ECS_AGENT_COMMIT}"

log() { printf '==> %s: %s\n' "$SELF" "$*" >&2; }
die() { printf '%s: %s\n' "$SELF" "$*" >&2; exit 1; }
command -v git >/dev/null || die "git is missing: apt-get install -y git"

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
exec 9>"$OUT/.lock"
flock 9   # two sandboxes starting at once: one fetches, the other waits
STAMP="$OUT/.fetched"
WANT="$SSM_URL $SSM_COMMIT $ECS_URL $ECS_COMMIT"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && (cd "$OUT" && sha256sum -c --quiet SHA256SUMS) >/dev/null 2>&1; then
    log "sources already fetched in $OUT"
    exit 0
fi
rm -f "$STAMP"

# fetch NAME VAR URL COMMIT TARBALL FILE...: the commit's tree as TARBALL (top
# directory NAME/); VAR: the variable that overrides URL
fetch() {
    local name="$1" var="$2" url="$3" commit="$4" tarball="$5"
    shift 5
    local repo="$OUT/.git-$name" err
    [[ "$commit" =~ ^[0-9a-f]{40}$ ]] || die "$name: the pinned commit '$commit' is not a full 40-digit commit id"
    log "$name: fetching $commit from $url"
    rm -rf "$repo"
    git init -q --bare "$repo"
    # one commit, no history: the smallest download a server allows by id;
    # a server that refuses fetching by id gets a full clone instead
    if ! err="$(git -C "$repo" fetch -q --depth 1 "$url" "$commit" 2>&1)"; then
        log "$name: fetching the commit by id failed ($(echo "$err" | tail -1)); trying a full clone"
        rm -rf "$repo"
        err="$(git clone -q --bare "$url" "$repo" 2>&1)" \
            || die "$name: could not fetch $url: $(echo "$err" | tail -3)
Set $var to a reachable copy of the repository, or put the source tarballs in ../shared/vendor/aws-agents (AWS_AGENTS_SRC)."
    fi
    git -C "$repo" cat-file -e "$commit^{commit}" 2>/dev/null \
        || die "$name: $url has no commit $commit (the pin in sandbox/agents/SOURCES)"
    local missing=()
    for f in "$@"; do
        git -C "$repo" cat-file -e "$commit:$f" 2>/dev/null || missing+=("$f")
    done
    [ "${#missing[@]}" -eq 0 ] || die "$name: commit $commit of $url lacks ${missing[*]}: not the agent's repository?"
    # git archive is reproducible for a commit: the same commit gives the same bytes
    git -C "$repo" archive --format=tar --prefix="$name/" "$commit" | gzip -n >"$OUT/$tarball.tmp"
    mv "$OUT/$tarball.tmp" "$OUT/$tarball"
    rm -rf "$repo"
}

SSM_TARBALL="amazon-ssm-agent-$SSM_AGENT_VERSION-src.tar.gz"
ECS_TARBALL="amazon-ecs-agent-$ECS_AGENT_VERSION-src.tar.gz"
fetch amazon-ssm-agent AWS_SSM_AGENT_GIT_URL "$SSM_URL" "$SSM_COMMIT" "$SSM_TARBALL" \
    go.mod core/agent.go packaging/linux/amazon-ssm-agent.service
fetch amazon-ecs-agent AWS_ECS_AGENT_GIT_URL "$ECS_URL" "$ECS_COMMIT" "$ECS_TARBALL" \
    VERSION agent/go.mod ecs-init/ecs-init.go LICENSE NOTICE
(cd "$OUT" && sha256sum "$SSM_TARBALL" "$ECS_TARBALL" >SHA256SUMS)
echo "$WANT" >"$STAMP"
log "sources in $OUT"
