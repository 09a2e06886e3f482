"""Before the tests: make sure headless Chromium is there for the browser tests.

Debian's chromium package is used (a test tool's own browser download fails offline).
As root with apt-get it is installed; otherwise this says how, and the browser tests
skip, except under CI or REQUIRE_BROWSER=1, where they fail.
"""

import os
import shutil
import subprocess
import sys

path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
if os.path.exists(path):
    sys.exit(0)
if os.geteuid() == 0 and shutil.which("apt-get"):
    print("Installing Debian's chromium for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    sys.exit(0)
print(
    f"Chromium is not at {path}: the browser tests will be skipped.\n"
    "Install it with: sudo apt-get install chromium (or set CHROMIUM_PATH).",
    file=sys.stderr,
)
