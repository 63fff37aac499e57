"""Runs inside a rehearsal host (standard library only): `hold` lays out its files, `run` becomes a process.

    ip netns exec NS python enter.py hold LAYOUT.json        # once per host: mounts, then holds them
    nsenter -t HOLDER -m -n python enter.py run PROCESS.json  # each process: user, environment, directory

A host's mount namespace is what a container's filesystem is: the machine's own tree, with the image's
directories and the service's volumes mounted over it. Directories the machine lacks (/opt/lab,
/etc/localstack/...) are made on an overlay of their top-level directory, whose upper layer is the host's
own folder: like a container's writable layer, it lives as long as the host and is seen by no one else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path


def mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True)


def overlay(directory: Path, layer: Path) -> None:
    """``directory`` writable for this host only: the machine's files below, the host's own layer above."""
    own = layer / str(directory).strip("/").replace("/", "_")
    # The overlay's top takes the upper directory's mode: 755, passable even where the machine's is not.
    (own / "upper").mkdir(parents=True, exist_ok=True)
    (own / "upper").chmod(0o755)
    (own / "work").mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={directory},upperdir={own / 'upper'},workdir={own / 'work'}"
    mount("-t", "overlay", "overlay", "-o", options, str(directory))


def make_place(place: Path, layer: Path, mounts: dict[Path, str]) -> None:
    """Make ``place`` exist in this host only: a directory the machine lacks is made on an overlay of its
    deepest existing parent, never on the machine's own files nor in a bind-mounted folder."""
    if place.exists():
        return
    parent = place
    while not parent.exists():
        parent = parent.parent
    covering = [mount for mount in mounts if mount == parent or mount in parent.parents]
    if not covering or mounts[max(covering, key=lambda mount: len(mount.parts))] != "overlay":
        overlay(parent, layer)
        mounts[parent] = "overlay"
    place.mkdir(parents=True)


def hold(layout: dict) -> None:
    """Mount the layout, say "ready", and keep the mount namespace alive until SIGTERM.

    Each entry is (kind, source, target): "bind" shows ``source`` itself at ``target`` (a volume, a bind
    mount); "copy" shows it under an overlay (an image's files: the container's changes stay its own).
    """
    layer = Path(layout["layer"])
    mounts = {Path(top): "overlay" for top in layout["overlays"]}
    for top in mounts:
        overlay(top, layer)
    for kind, source, target in layout["mounts"]:
        target = Path(target)
        if Path(source).is_dir():
            make_place(target, layer, mounts)
        else:
            make_place(target.parent, layer, mounts)
            target.touch(exist_ok=True)
        mount("--bind", source, str(target))
        mounts[target] = "bind"
        if kind == "copy":
            overlay(target, layer)
            mounts[target] = "overlay"
    # Last: once a directory is overlaid, what was mounted below it is hidden, and no layer may live below it.
    for directory in layout["own_directories"]:
        overlay(Path(directory), layer)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


def run(process: dict) -> None:
    os.chdir(process["cwd"])
    uid, gid = process["uid"], process["gid"]
    if uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.execvpe(process["argv"][0], process["argv"], process["env"])


if __name__ == "__main__":
    mode, path = sys.argv[1], Path(sys.argv[2])
    spec = json.loads(path.read_text())
    if mode == "run":
        path.unlink()  # read once: it holds the process's environment, passwords included
    {"hold": hold, "run": run}[mode](spec)
