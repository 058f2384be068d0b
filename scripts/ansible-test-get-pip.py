"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip from ci-files.testing.ansible.com, which this
workplace cannot reach; it uses a cached copy first
(~/.ansible/test/cache/get_pip_<version>.py). This file is copied there by
scripts/ansible-test.sh. It bootstraps pip with the interpreter's own
ensurepip (in a subprocess: in-process ensurepip sets PIP_CONFIG_FILE=/dev/null,
and pip then loses the site's CA and index settings), then installs the
packages ansible-test asked for from the configured package index.
"""

import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "install", "--upgrade"] + args, check=True)


if __name__ == "__main__":
    main()
