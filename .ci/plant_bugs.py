"""Plant one boundary bug at a time in a module and run the tests that should catch it.

    .venv/bin/python .ci/plant_bugs.py traywatch/verdict.py tests/test_verdict.py [more tests...]

Each bug is one small change of the kind that slips through review: a comparison moved by one
(``<`` and ``<=``, ``>`` and ``>=``), a test turned round (``==`` and ``!=``, ``in`` and
``not in``, ``is`` and ``is not``), ``and`` and ``or`` swapped, a ``not`` dropped, a number moved
by one (a cut size, a count, a limit). The tests run on a copy of the project, never on the
working tree. Every bug the tests let through is printed with its line: each is a promise no
test holds, or a change that makes no difference (a default always overridden, a rounding
that shows the same), which is worth a look too. Not run by ``.ci/run``: a module takes minutes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TURNED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Bug:
    node: int  # the node's place in ast.walk order
    what: str  # "compare", "number", "boolean", "not"
    arg: int  # which comparison of a chain, or the step for a number
    line: int
    label: str


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def bugs(tree: ast.AST) -> Iterator[Bug]:
    skip = _docstrings(tree)
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                if type(op) in TURNED:
                    label = f"{type(op).__name__} -> {TURNED[type(op)].__name__}"
                    yield Bug(index, "compare", position, node.lineno, label)
        elif isinstance(node, ast.Constant) and id(node) not in skip and type(node.value) in (int, float):
            for step in (1, -1):
                yield Bug(index, "number", step, node.lineno, f"{node.value!r} {'+' if step > 0 else '-'} 1")
        elif isinstance(node, ast.BoolOp):
            yield Bug(index, "boolean", 0, node.lineno, f"{type(node.op).__name__} swapped")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield Bug(index, "not", 0, node.lineno, "not dropped")


def planted(tree: ast.Module, bug: Bug) -> str:
    tree = copy.deepcopy(tree)
    nodes = list(ast.walk(tree))
    node = nodes[bug.node]
    if isinstance(node, ast.Compare):
        node.ops[bug.arg] = TURNED[type(node.ops[bug.arg])]()
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        node.value = node.value + bug.arg
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        for parent in nodes:
            for field, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, field, node.operand)
                elif isinstance(value, list):
                    value[:] = [node.operand if item is node else item for item in value]
    return ast.unparse(tree)


def caught(copy_root: Path, tests: list[str], timeout: float) -> bool:
    # A failing example hypothesis found under one bug would be replayed under the next.
    shutil.rmtree(copy_root / ".hypothesis", ignore_errors=True)
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    # The copy's modules, never an installed traywatch; and no .pyc, which could outlive its bug.
    env = {**os.environ, "PYTHONPATH": str(copy_root), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(command, cwd=copy_root, env=env, capture_output=True, timeout=timeout, check=False)
        return done.returncode != 0
    except subprocess.TimeoutExpired:
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="the module to plant bugs in, e.g. traywatch/verdict.py")
    parser.add_argument("tests", nargs="+", help="the test files that should catch them")
    parser.add_argument("--line", type=int, action="append", help="only bugs on this line (repeatable)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a test run counts as caught")
    args = parser.parse_args()

    source = (ROOT / args.module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    chosen = [b for b in bugs(tree) if not args.line or b.line in args.line]
    lines = source.splitlines()
    with tempfile.TemporaryDirectory() as folder:
        copy_root = Path(folder) / "project"
        skipped = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache", "dist", "build")
        shutil.copytree(ROOT, copy_root, ignore=skipped)
        if caught(copy_root, args.tests, args.timeout):
            print("the tests fail with no bug planted: every bug would look caught", file=sys.stderr)
            return 2
        survivors = []
        for number, bug in enumerate(chosen, 1):
            (copy_root / args.module).write_text(planted(tree, bug), encoding="utf-8")
            if not caught(copy_root, args.tests, args.timeout):
                survivors.append(bug)
                print(f"survived: line {bug.line}: {bug.label}: {lines[bug.line - 1].strip()}", flush=True)
            if sys.stderr.isatty():
                print(f"\r{number}/{len(chosen)}", end="", file=sys.stderr, flush=True)
    print(f"\n{args.module}: {len(chosen) - len(survivors)} of {len(chosen)} planted bugs caught", file=sys.stderr)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
