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


# The emulator's layers, top first (emulators/redshift/README.md draws them): a module imports only modules
# of its own layer or of the layers below it.
EMULATOR_LAYERS = ("cli", "wire", "data_api", "catalog", "sql", "unload", "load", "ground")
EMULATOR_ROOT = REPO_ROOT / "emulators" / "redshift"


def emulator_layer(name: str) -> str:
    """emulators.redshift.wire.session -> wire; a module beside the packages is cli (the command line) or
    the ground floor."""
    part = name.split(".")[2] if name.count(".") >= 2 else ""
    if part in EMULATOR_LAYERS:
        return part
    return "cli" if part in ("cli", "__main__") else "ground"


def emulator_graph(root: Path = EMULATOR_ROOT) -> dict[str, set[str]]:
    found = {}
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(("emulators", "redshift", *parts))] = path
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    rank = {layer: index for index, layer in enumerate(EMULATOR_LAYERS)}
    return sorted(
        f"{name} ({emulator_layer(name)}) imports {target} ({emulator_layer(target)})"
        for name, targets in graph.items()
        for target in targets
        if rank[emulator_layer(target)] < rank[emulator_layer(name)]
    )


def test_the_emulators_layers_import_only_downward():
    upward = upward_imports(emulator_graph())
    assert not upward, "emulator modules importing a layer above their own:\n" + "\n".join(upward)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    package = tmp_path / "load"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "s3.py").write_text("def later():\n    from emulators.redshift.wire import session\n")
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "__init__.py").write_text("")
    (wire / "session.py").write_text("from emulators.redshift.load import s3\n")
    assert upward_imports(emulator_graph(tmp_path)) == [
        "emulators.redshift.load.s3 (load) imports emulators.redshift.wire.session (wire)"
    ]
