"""newsroom/ is the ground the apps stand on: it imports no app module (STYLE.md, Shape)."""

import ast
from pathlib import Path

import newsroom

APPS = {"articles", "comments", "sharing"}
# Root urls and settings name the apps by string, which is how the project is wired together.
WIRING = {"urls.py", "settings.py"}


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def app_imports(root):
    """Return "path: module" for each import of an app module under root, but the wiring."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in WIRING:
            continue
        for module in imported_modules(path):
            if module.partition(".")[0] in APPS:
                found.append(f"{path.relative_to(root)}: {module}")
    return found


def test_no_module_under_newsroom_imports_an_app():
    assert app_imports(Path(newsroom.__file__).parent) == []


def test_an_app_import_under_newsroom_is_found_at_any_depth(tmp_path):
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "guards.py").write_text(
        "def check():\n    from comments.models import Comment\n    return Comment\n"
    )
    (tmp_path / "views.py").write_text("import sharing.delivery\nimport newsroom.site\n")
    (tmp_path / "urls.py").write_text("from articles import views\n")
    assert app_imports(tmp_path) == [
        "outbox/guards.py: comments.models",
        "views.py: sharing.delivery",
    ]
