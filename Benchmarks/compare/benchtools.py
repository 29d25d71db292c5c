"""Helpers the comparison scripts share: installing a tool, timing a command."""
import os
import shutil
import subprocess
import sys
import tempfile


def need(tool, package, script):
    """Installs Debian's `package` when `tool` is missing (as root), or exits naming it."""
    if not shutil.which(tool) and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", package], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not shutil.which(tool):
        sys.exit(f"{script}: '{tool}' is missing; install Debian's '{package}' package")


def timed(command):
    """Runs `command` under /usr/bin/time: (wall s, cpu s, peak RSS MB, returncode, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", stats.name] + command,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall, user, system, rss_kb = stats.read().split()[-4:]
        return float(wall), float(user) + float(system), int(rss_kb) / 1024, out.returncode, out.stdout, out.stderr


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def release_probe():
    """The probe users run: the binary scripts/build-release makes (and scripts/install ships)."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "build-release")], check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip().splitlines()[-1]


def release_netsim():
    """netsim, built in release mode (the simulated network's own speed is not what is measured)."""
    subprocess.run(["swift", "build", "-c", "release", "--product", "netsim"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "netsim")
