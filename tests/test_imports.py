"""The product's imports run downward: the emulator imports nothing of the lab, the lab's ground floor
imports only itself, the seeders only that floor, and no module of lab or seed reaches back to one that
imports it (no circle), counting the imports made inside functions too.

The ground floor is what every part of the lab needs: configuration (lab.config, and lab_settings beside
the DAGs), its one user-facing error (lab.errors), process control (lab.processes) and the two languages
(lab.bilingual). Each failure names the module and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lab.config import REPO_ROOT

GROUND_FLOOR = {"lab.config", "lab.errors", "lab.processes", "lab.bilingual", "lab_settings"}
PACKAGES = ("lab", "seed")


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO_ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(path): path for package in PACKAGES for path in (REPO_ROOT / package).rglob("*.py")}
    found["lab_settings"] = REPO_ROOT / "dags" / "lab_settings.py"
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, anywhere in it: ``from lab import x`` counts as lab.x when
    lab.x is a module, else as lab."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def test_the_ground_floor_imports_only_the_ground_floor():
    graph = import_graph()
    upward = {name: sorted(graph[name] - GROUND_FLOOR - {"lab"}) for name in GROUND_FLOOR}
    assert not any(upward.values()), f"ground-floor modules importing upward: {upward}"


def test_the_seeders_import_only_the_ground_floor_of_lab():
    graph = import_graph()
    upward = {
        name: sorted(target for target in targets if target.startswith("lab") and target not in GROUND_FLOOR)
        for name, targets in graph.items()
        if name.startswith("seed")
    }
    assert not any(upward.values()), f"seed modules importing lab above its ground floor: {upward}"


def test_no_module_imports_one_that_imports_it():
    graph = import_graph()
    circles = []

    def visit(name: str, path: list[str]) -> None:
        for target in sorted(graph.get(name, ())):
            if target == path[0]:
                circles.append([*path, target])
            elif target not in path and len(path) < 8:
                visit(target, [*path, target])

    for name in sorted(graph):
        visit(name, [name])
    shortest = sorted(circles, key=len)[:3]
    assert not circles, f"import circles, e.g.: {[' -> '.join(circle) for circle in shortest]}"


def test_the_emulator_stands_alone():
    """`redshift-emulator` runs without the lab: nothing under emulators/ imports lab, seed or the DAGs."""
    lab_side = set(modules())
    reaching = {
        module_name(path): sorted(imports_of(path, lab_side | {"lab", "seed"}))
        for path in (REPO_ROOT / "emulators").rglob("*.py")
    }
    assert not any(reaching.values()), f"emulator modules importing the lab: {reaching}"


def test_the_checks_see_a_circle_and_an_upward_import(tmp_path):
    """The graph finds imports inside functions and `from package import module` forms."""
    sample = tmp_path / "sample.py"
    sample.write_text("def later():\n    from lab import setup\n    import seed.nps\n")
    assert imports_of(sample, {"lab", "lab.setup", "seed.nps"}) == {"lab.setup", "seed.nps"}
