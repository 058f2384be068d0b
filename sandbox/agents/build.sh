#!/usr/bin/env bash
# Build the stand-in agent packages and publish them into a package mirror laid
# out like AWS's S3 buckets (docs/architecture.md, "Agent packages and the
# package mirror"):
#   <out>/amazon-ssm-<region>/<ver>/debian_<arch>/amazon-ssm-agent.deb{,.sig}
#   <out>/amazon-ssm-<region>/latest/debian_<arch>/amazon-ssm-agent.deb{,.sig}, .../latest/VERSION
#   <out>/amazon-ecs-agent-<region>/amazon-ecs-init-<ver>.<arch>.deb{,.asc}
#   <out>/amazon-ecs-agent-<region>/amazon-ecs-init-latest.<arch>.deb{,.asc}
#   <out>/sandbox-signing-key.asc      public half of the sandbox signing key
#   <out>/SHA256SUMS                   sha256 of every package, paths relative to <out>
#   <out>/tampered/...                 same layout; packages changed AFTER signing
#                                      (good signatures, good SHA256SUMS: both checks must fail)
# Usage: sandbox/agents/build.sh [OUT_DIR]   (default .cache/mirror)
#   env REGIONS="us-east-1 eu-west-1" (us-east-1 is always included),
#       ARCHES="amd64 arm64" (default both; the packages are pure Python)
# A second run with unchanged inputs is a no-op.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.cache/mirror}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$ROOT/.cache/agents"
export GNUPGHOME="$WORK/gnupg"
# shellcheck source=/dev/null
. "$HERE/VERSIONS"
# shellcheck disable=SC2086 # REGIONS is a space-separated list
REGIONS="$(printf '%s\n' us-east-1 ${REGIONS:-} | awk 'NF && !seen[$0]++' | paste -sd ' ')"
ARCHES="${ARCHES:-amd64 arm64}"
KEY_UID="edgeops sandbox package signing key <sandbox-signing@edgeops.invalid>"
EPOCH=1700000000   # fixed mtimes: the same inputs give the same .deb bytes

log() { printf '==> %s\n' "$*" >&2; }

inputs_hash() {
    (cd "$HERE" && find build.sh VERSIONS src debian -type f ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum
     echo "regions=$REGIONS arches=$ARCHES"
     cat "$GNUPGHOME/fingerprint" 2>/dev/null || true) | sha256sum | cut -c1-16
}

mkdir -p "$WORK"
exec 9>"$WORK/build.lock"
flock 9   # one build at a time (molecule and the smoke test may start together)

HASH="$(inputs_hash)"
if [ -s "$GNUPGHOME/fingerprint" ] && [ "$(cat "$OUT/.inputs" 2>/dev/null)" = "$HASH" ] \
        && [ -s "$OUT/sandbox-signing-key.asc" ] && [ -s "$OUT/SHA256SUMS" ] \
        && (cd "$OUT" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    log "mirror up to date: $OUT"
    exit 0
fi

for tool in dpkg-deb gpg sha256sum; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done
BUILD="$(mktemp -d "$WORK/build.XXXXXX")"
cleanup() { gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$BUILD" "$OUT.new"; }
trap cleanup EXIT

# 1. signing key (generated once, reused)
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

# 2. packages

stage() {  # stage PKG ARCH DIR [tamper]
    local pkg="$1" arch="$2" dir="$3" tamper="${4:-}" d="$HERE/debian/$1"
    mkdir -p "$dir/DEBIAN" "$dir/lib/systemd/system" "$dir/usr/share/doc/$pkg"
    sed -e "s/@ARCH@/$arch/" -e "s/@SSM_AGENT_DEB_VERSION@/$SSM_AGENT_DEB_VERSION/" \
        -e "s/@ECS_INIT_DEB_VERSION@/$ECS_INIT_DEB_VERSION/" "$d/control" > "$dir/DEBIAN/control"
    install -m 0755 "$d/postinst" "$d/prerm" "$d/postrm" "$dir/DEBIAN/"
    printf 'This package is an edgeops sandbox stand-in, not AWS software.\nSee sandbox/agents/README.md in edgeops.ecs_anywhere.\n' \
        > "$dir/usr/share/doc/$pkg/README.sandbox"
    case "$pkg" in
    amazon-ssm-agent)
        mkdir -p "$dir/usr/bin" "$dir/etc/amazon/ssm"
        sed "s/^VERSION = \".*\"$/VERSION = \"$SSM_AGENT_VERSION\"/" "$HERE/src/amazon-ssm-agent" > "$dir/usr/bin/amazon-ssm-agent"
        chmod 0755 "$dir/usr/bin/amazon-ssm-agent"
        install -m 0644 "$d/amazon-ssm-agent.service" "$dir/lib/systemd/system/"
        install -m 0644 "$d/amazon-ssm-agent.json.template" "$dir/etc/amazon/ssm/"
        main="$dir/usr/bin/amazon-ssm-agent" ;;
    amazon-ecs-init)
        mkdir -p "$dir/usr/libexec"
        sed "s/^VERSION = \".*\"$/VERSION = \"$ECS_AGENT_VERSION\"/" "$HERE/src/amazon-ecs-init" > "$dir/usr/libexec/amazon-ecs-init"
        chmod 0755 "$dir/usr/libexec/amazon-ecs-init"
        install -m 0644 "$d/ecs.service" "$dir/lib/systemd/system/"
        main="$dir/usr/libexec/amazon-ecs-init" ;;
    esac
    if [ -n "$tamper" ]; then
        printf '\n# TAMPERED: changed after the package was signed (bad-signature test)\n' >> "$main"
    fi
    find "$dir" -exec touch -h -d "@$EPOCH" {} +
}

build_deb() {  # build_deb PKG ARCH OUTFILE [tamper]
    local dir="$BUILD/$1-$2${4:+-tampered}"
    stage "$1" "$2" "$dir" "${4:-}"
    SOURCE_DATE_EPOCH=$EPOCH dpkg-deb --root-owner-group -Zxz --build "$dir" "$3" >/dev/null
}

sign() {  # sign FILE binary|armor
    if [ "$2" = armor ]; then
        gpg --batch --yes --quiet --local-user "$FPR" --armor --detach-sign -o "$1.asc" "$1"
    else
        gpg --batch --yes --quiet --local-user "$FPR" --detach-sign -o "$1.sig" "$1"
    fi
}

log "building amazon-ssm-agent $SSM_AGENT_DEB_VERSION and amazon-ecs-init $ECS_INIT_DEB_VERSION for $ARCHES"
for arch in $ARCHES; do
    for pkg in amazon-ssm-agent amazon-ecs-init; do
        build_deb "$pkg" "$arch" "$BUILD/$pkg.$arch.deb"
        build_deb "$pkg" "$arch" "$BUILD/$pkg.$arch.tampered.deb" tampered
    done
    sign "$BUILD/amazon-ssm-agent.$arch.deb" binary
    sign "$BUILD/amazon-ecs-init.$arch.deb" armor
done

# 3. publish (S3 layout), then the tampered twin with the GOOD signatures
publish() {  # publish DEST SUFFIX   (SUFFIX "" or ".tampered")
    local dest="$1" sfx="$2" region arch ssm ecs
    for region in $REGIONS; do
        for arch in $ARCHES; do
            for ver in "$SSM_AGENT_VERSION" latest; do
                ssm="$dest/amazon-ssm-$region/$ver/debian_$arch"
                mkdir -p "$ssm"
                cp "$BUILD/amazon-ssm-agent.$arch$sfx.deb" "$ssm/amazon-ssm-agent.deb"
                cp "$BUILD/amazon-ssm-agent.$arch.deb.sig" "$ssm/amazon-ssm-agent.deb.sig"
            done
            echo "$SSM_AGENT_VERSION" > "$dest/amazon-ssm-$region/latest/VERSION"
            ecs="$dest/amazon-ecs-agent-$region"
            mkdir -p "$ecs"
            for ver in "$ECS_INIT_VERSION" latest; do
                cp "$BUILD/amazon-ecs-init.$arch$sfx.deb" "$ecs/amazon-ecs-init-$ver.$arch.deb"
                cp "$BUILD/amazon-ecs-init.$arch.deb.asc" "$ecs/amazon-ecs-init-$ver.$arch.deb.asc"
            done
        done
    done
    gpg --batch --armor --export "$FPR" > "$dest/sandbox-signing-key.asc"
    (cd "$dest" && find . -name '*.deb' | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS)
}

rm -rf "$OUT.new"
mkdir -p "$OUT.new"
publish "$OUT.new" ""
publish "$OUT.new/tampered" ".tampered"
# the tampered mirror publishes the GOOD checksums too: a checksum check must fail there as well
cp "$OUT.new/SHA256SUMS" "$OUT.new/tampered/SHA256SUMS"
# a sanity check of what we publish: good packages verify, tampered ones must not
V="$(mktemp -d)"
gpg --batch --quiet --no-default-keyring --keyring "$V/k.gpg" --import "$OUT.new/sandbox-signing-key.asc" 2>/dev/null
for base in "$OUT.new" "$OUT.new/tampered"; do
    ssm="$base/amazon-ssm-us-east-1/$SSM_AGENT_VERSION/debian_amd64/amazon-ssm-agent.deb"
    ecs="$base/amazon-ecs-agent-us-east-1/amazon-ecs-init-$ECS_INIT_VERSION.amd64.deb"
    for f in "$ssm:$ssm.sig" "$ecs:$ecs.asc"; do
        if gpgv --keyring "$V/k.gpg" "${f#*:}" "${f%%:*}" >/dev/null 2>&1; then ok=good; else ok=bad; fi
        case "$base:$ok" in
        "$OUT.new:good"|*/tampered:bad) ;;
        *) echo "build.sh: signature check of ${f%%:*} gave $ok" >&2; rm -rf "$V"; exit 1 ;;
        esac
    done
done
rm -rf "$V"
echo "$HASH" > "$OUT.new/.inputs"
# swap in place (OUT may be a mount point or hold other things: replace our entries only)
for entry in "$OUT"/amazon-ssm-* "$OUT"/amazon-ecs-agent-* "$OUT/tampered"; do
    [ -e "$entry" ] && rm -rf "$entry"
done
cp -a "$OUT.new"/. "$OUT"/
rm -rf "$OUT.new"
log "mirror ready: $OUT (regions: $REGIONS; key $FPR)"
