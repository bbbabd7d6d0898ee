"""models/ is pure NumPy: it must never import Qt, pyqtgraph, playground or torch."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "playground", "torch", "shiboken6")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_models_sources_import_nothing_forbidden():
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & set(FORBIDDEN)) for p in (ROOT / "models").rglob("*.py")}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"models/ imports GUI or torch code: {offenders}"


def test_importing_every_model_module_loads_no_qt():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in (ROOT / "models").rglob("*.py"))
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"importing models/ pulled in {out.stdout.strip()}"


def test_the_rule_checker_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy\nfrom PySide6.QtCore import QObject\n")
    assert "PySide6" in imported_roots(bad)


def test_the_readme_map_names_every_feature_folder():
    """The README's map matches the tree: every package folder under models/ and playground/ is
    named in it, and every folder it names exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Map of the code"):readme.index("## Credits")]
    folders = {p.parent for p in list((ROOT / "models").rglob("__init__.py")) + list((ROOT / "playground").rglob("__init__.py"))}
    for folder in folders:
        assert f"{folder.name}/" in block, f"README's map does not name {folder.relative_to(ROOT)}"
    import re

    for name in re.findall(r"(?:^|\s)(\w+)/(?=\s)", block.split("```")[1]):
        assert list(ROOT.glob(f"**/{name}")), f"README's map names {name}/, which does not exist"


def test_the_window_shows_before_pyqtgraph_and_any_tab_load():
    """Cold start: the window's own modules leave pyqtgraph and the tabs to after it shows."""
    code = ("import sys; import playground.app, playground.main_window; "
            "print(sorted(m for m in sys.modules if m == 'pyqtgraph' or m.startswith('playground.tabs.')"
            " and m.count('.') > 2))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
