"""sandbox/agents/fetch-sources.sh, offline: the path a machine without
../shared/vendor/aws-agents takes (AWS's repositories at the pinned commits),
run against local git repositories made from the vendored tarballs, through
file:// URLs, so that the same code runs here and with internet access."""

import hashlib
import os
import subprocess
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FETCH = os.path.join(ROOT, "sandbox", "agents", "fetch-sources.sh")
VENDORED = os.path.abspath(os.path.join(ROOT, "..", "shared", "vendor", "aws-agents"))


def versions():
    with open(os.path.join(ROOT, "sandbox", "agents", "VERSIONS")) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))


V = versions()
TARBALLS = {"amazon-ssm-agent": "amazon-ssm-agent-%s-src.tar.gz" % V["SSM_AGENT_VERSION"],
            "amazon-ecs-agent": "amazon-ecs-agent-%s-src.tar.gz" % V["ECS_AGENT_VERSION"]}
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}

pytestmark = pytest.mark.skipif(not all(os.path.exists(os.path.join(VENDORED, t)) for t in TARBALLS.values()),
                                reason="no vendored tarballs to make the local repositories from")


def git(*args, cwd=None):
    return subprocess.run(["git"] + list(args), cwd=cwd, check=True, capture_output=True, text=True,
                          env=dict(os.environ, **GIT_ENV)).stdout.strip()


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    """{name: (file:// URL, commit id)}: a one-commit repository of each vendored tree."""
    base = tmp_path_factory.mktemp("upstream")
    made = {}
    for name, tarball in TARBALLS.items():
        with tarfile.open(os.path.join(VENDORED, tarball)) as tar:
            tar.extractall(base, filter="tar")
        tree = str(base / name)
        git("init", "-q", cwd=tree)
        git("add", "-A", "-f", cwd=tree)
        git("commit", "-q", "-m", "vendored %s" % name, cwd=tree)
        made[name] = ("file://" + tree, git("rev-parse", "HEAD", cwd=tree))
    return made


def fetch(out, repos, **override):
    env = dict(os.environ, AWS_SSM_AGENT_GIT_URL=repos["amazon-ssm-agent"][0],
               AWS_SSM_AGENT_COMMIT=repos["amazon-ssm-agent"][1],
               AWS_ECS_AGENT_GIT_URL=repos["amazon-ecs-agent"][0],
               AWS_ECS_AGENT_COMMIT=repos["amazon-ecs-agent"][1])
    env.update(override)
    return subprocess.run([FETCH, str(out)], env=env, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)


def members(path):
    with tarfile.open(path) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers() if m.isfile()}


def test_fetched_tarballs_hold_the_commits_tree_and_a_second_run_reuses_them(tmp_path, repos):
    out = tmp_path / "sources"
    run = fetch(out, repos)
    assert run.returncode == 0, run.stderr
    for name, tarball in TARBALLS.items():
        got, want = members(out / tarball), members(os.path.join(VENDORED, tarball))
        assert sorted(got) == sorted(want), name  # same files under the same top directory
        with tarfile.open(out / tarball) as a, tarfile.open(os.path.join(VENDORED, tarball)) as b:
            for path in ("%s/LICENSE" % name, "%s/go.mod" % name if name == "amazon-ssm-agent"
                         else "%s/agent/go.mod" % name):
                assert a.extractfile(path).read() == b.extractfile(path).read(), path
    sums = (out / "SHA256SUMS").read_text().split("\n")
    for tarball in TARBALLS.values():
        digest = hashlib.sha256((out / tarball).read_bytes()).hexdigest()
        assert "%s  %s" % (digest, tarball) in sums
    mtimes = {t: (out / t).stat().st_mtime_ns for t in TARBALLS.values()}
    again = fetch(out, repos)
    assert again.returncode == 0 and "already fetched" in again.stderr, again.stderr
    assert {t: (out / t).stat().st_mtime_ns for t in TARBALLS.values()} == mtimes


def test_a_commit_the_repository_lacks_is_named(tmp_path, repos):
    run = fetch(tmp_path / "sources", repos, AWS_ECS_AGENT_COMMIT="0" * 40)
    assert run.returncode == 1
    assert "amazon-ecs-agent: %s has no commit %s" % (repos["amazon-ecs-agent"][0], "0" * 40) in run.stderr, \
        run.stderr
    assert not (tmp_path / "sources" / "SHA256SUMS").exists()


def test_an_unreachable_repository_says_what_to_do(tmp_path, repos):
    url = "file://%s/nowhere" % tmp_path
    run = fetch(tmp_path / "sources", repos, AWS_SSM_AGENT_GIT_URL=url)
    assert run.returncode == 1
    assert "amazon-ssm-agent: could not fetch %s" % url in run.stderr, run.stderr
    assert "Set AWS_SSM_AGENT_GIT_URL to a reachable copy" in run.stderr
    assert "AWS_AGENTS_SRC" in run.stderr


def test_a_short_commit_id_is_refused(tmp_path, repos):
    run = fetch(tmp_path / "sources", repos, AWS_SSM_AGENT_COMMIT="1c217c89")
    assert run.returncode == 1
    assert "not a full 40-digit commit id" in run.stderr, run.stderr
