"""The layout's rules, checked by parsing the imports of every module.

- engine/ names no study: it imports nothing of seismo/, the studies,
  focal/, registry or main, nor the TFDS builders (seisjax_datasets);
- seismo/ imports only engine/ (and no builders);
- precursor/ and picking/ never import each other; focal/ may import
  picking/ and seismo/; nothing imports focal/ but focal/ itself;
- the builders (seisjax_datasets) import no task, no registry, no main:
  the module graph of seisjax and seisjax_datasets has no cycle, and no
  import between the two packages hides inside a function;
- no module over 500 lines; no `sys.path` edits in configs, bench or
  tests; every package folder is installed.

Each rule is a function of a source tree, so the tests below also show it
failing on a small tree with the broken import.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDIES = ('precursor', 'picking', 'focal')
FORBIDDEN = {  # part -> parts it must never import
    'engine': {'seismo', *STUDIES, 'top', 'datasets'},
    'seismo': {*STUDIES, 'top', 'datasets'},
    'precursor': {'picking', 'focal', 'top'},
    'picking': {'precursor', 'focal', 'top'},
    'focal': {'precursor', 'top'},
    'datasets': {'focal', 'top'},
    'top': {'focal'},  # focal/ is reached only through its own command.
}
MAX_LINES = 500


def module_name(root: pathlib.Path, path: pathlib.Path) -> str:
  """The import name of a file under seisjax/ or datasets/."""
  parts = list(path.relative_to(root).with_suffix('').parts)
  if parts[0] == 'datasets':
    parts[0] = 'seisjax_datasets'
  if parts[-1] == '__init__':
    parts.pop()
  return '.'.join(parts)


def part_of(name: str) -> str | None:
  """Which part of the layout a module belongs to (None: outside it)."""
  bits = name.split('.')
  if bits[0] == 'seisjax_datasets':
    return 'datasets'
  if bits[0] != 'seisjax' or len(bits) < 2:
    return None
  return bits[1] if bits[1] in ('engine', 'seismo', *STUDIES) else 'top'


def imports(root: pathlib.Path):
  """Yields (module, imported module, line, at module level) of a tree."""
  files = [*sorted((root / 'seisjax').rglob('*.py')),
           *sorted((root / 'datasets').rglob('*.py'))]
  for path in files:
    name = module_name(root, path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
      if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
      elif isinstance(node, ast.ImportFrom):
        base = node.module or ''
        if node.level:
          anchor = package.split('.')[:len(package.split('.'))
                                      - node.level + 1]
          base = '.'.join(anchor + ([node.module] if node.module else []))
        # `from a import b` may import the module a.b.
        targets = [base] + [f'{base}.{alias.name}' for alias in node.names]
      elif (isinstance(node, ast.Call)
            and getattr(node.func, 'attr', getattr(node.func, 'id', ''))
            in ('import_module', '__import__') and node.args
            and isinstance(node.args[0], ast.Constant)):
        targets = [node.args[0].value]
      else:
        continue
      for target in targets:
        yield name, target, node.lineno, id(node) in top_level


def rule_violations(root: pathlib.Path) -> list[str]:
  """Imports that break the one-way rules, and lazy cross-package ones."""
  bad = {}
  for name, target, line, top_level in imports(root):
    me, other = part_of(name), part_of(target)
    if me is None or other is None or me == other:
      continue
    # One line per import statement: `from a import b` yields a and a.b.
    if other in FORBIDDEN.get(me, ()):
      bad.setdefault((name, line), f'{name}:{line} ({me}) imports {target} '
                     f'({other})')
    elif not top_level and 'datasets' in (me, other):
      bad.setdefault((name, line),
                     f'{name}:{line} imports {target} inside a function')
  return sorted(bad.values())


def cycles(root: pathlib.Path) -> list[list[str]]:
  """Import cycles among the modules of a tree (strongly connected sets)."""
  known = {module_name(root, p)
           for d in ('seisjax', 'datasets') for p in (root / d).rglob('*.py')}
  graph = {m: set() for m in known}
  for name, target, _, _ in imports(root):
    if target in known and target != name:
      graph[name].add(target)
  # Tarjan's algorithm, iteratively.
  index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
  for start in sorted(graph):
    if start in index:
      continue
    work = [(start, iter(sorted(graph[start])))]
    index[start] = low[start] = counter[0]
    counter[0] += 1
    stack.append(start)
    on_stack.add(start)
    while work:
      node, children = work[-1]
      child = next(children, None)
      if child is None:
        work.pop()
        if work:
          low[work[-1][0]] = min(low[work[-1][0]], low[node])
        if low[node] == index[node]:
          members = []
          while True:
            member = stack.pop()
            on_stack.discard(member)
            members.append(member)
            if member == node:
              break
          if len(members) > 1:
            found.append(sorted(members))
      elif child not in index:
        index[child] = low[child] = counter[0]
        counter[0] += 1
        stack.append(child)
        on_stack.add(child)
        work.append((child, iter(sorted(graph[child]))))
      elif child in on_stack:
        low[node] = min(low[node], index[child])
  return found


def long_modules(root: pathlib.Path) -> list[str]:
  return [f'{p.relative_to(root)}: {n} lines'
          for d in ('seisjax', 'datasets') for p in sorted(
              (root / d).rglob('*.py'))
          if (n := p.read_text().count('\n')) > MAX_LINES]


def path_edits(root: pathlib.Path) -> list[str]:
  return [str(p.relative_to(root))
          for d in ('configs', 'bench', 'tests') for p in (root / d).rglob(
              '*.py')
          if 'sys.path' in p.read_text() and p != pathlib.Path(__file__)]


def test_the_layout_follows_its_rules():
  assert (ROOT / 'seisjax' / 'engine').is_dir()
  assert rule_violations(ROOT) == []
  assert cycles(ROOT) == []
  assert long_modules(ROOT) == []
  assert path_edits(ROOT) == []


def test_every_package_folder_is_installed():
  found = subprocess.run(
      [sys.executable, 'setup.py', '-q', '--name'], cwd=ROOT,
      capture_output=True, text=True)
  assert found.returncode == 0, found.stderr
  # The package list setup.py computes, against the folders on disk.
  code = ('import setuptools, runpy; captured = {}; '
          'setuptools.setup = lambda **kw: captured.update(kw); '
          "runpy.run_path('setup.py'); print(sorted(captured['packages']))")
  listed = subprocess.run([sys.executable, '-c', code], cwd=ROOT,
                          capture_output=True, text=True, check=True)
  packages = set(ast.literal_eval(listed.stdout))
  on_disk = {module_name(ROOT, p) for d in ('seisjax', 'datasets')
             for p in (ROOT / d).rglob('__init__.py')}
  assert on_disk <= packages, on_disk - packages
  assert 'configs' in packages


# --- the rules fail where they should ---------------------------------------


def _tree(tmp_path, files: dict[str, str]) -> pathlib.Path:
  for name, text in {'seisjax/__init__.py': '', 'datasets/__init__.py': '',
                     **files}.items():
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
  return tmp_path


@pytest.mark.parametrize('path, text, broken', [
    ('seisjax/engine/train.py', 'from seisjax.precursor import data\n',
     'engine'),
    ('seisjax/engine/train.py', 'import seisjax_datasets\n', 'engine'),
    ('seisjax/engine/train.py', 'from ..picking import model\n', 'engine'),
    ('seisjax/engine/train.py', 'from seisjax import registry\n', 'engine'),
    ('seisjax/seismo/qc.py', 'from seisjax.picking import records\n',
     'seismo'),
    ('seisjax/picking/data.py', 'from seisjax.precursor import stats\n',
     'picking'),
    ('seisjax/precursor/data.py', 'import seisjax.picking.records\n',
     'precursor'),
    ('seisjax/picking/data.py', 'from seisjax.focal import grid\n',
     'picking'),
    ('datasets/x/b.py', 'from seisjax import main\n', 'datasets'),
    ('seisjax/registry.py', 'from seisjax.focal import cli\n', 'top'),
    ('seisjax/precursor/data.py',
     'def f():\n  import seisjax_datasets.x.b\n', 'inside a function'),
])
def test_a_broken_rule_is_reported(tmp_path, path, text, broken):
  root = _tree(tmp_path, {path: text, 'datasets/x/__init__.py': '',
                          'datasets/x/b.py': ''} if path != 'datasets/x/b.py'
               else {path: text, 'datasets/x/__init__.py': ''})
  violations = rule_violations(root)
  assert len(violations) == 1 and broken in violations[0], violations


def test_allowed_imports_are_not_reported(tmp_path):
  root = _tree(tmp_path, {
      'seisjax/seismo/qc.py': 'from seisjax.engine import writers\n',
      'seisjax/focal/cli.py': 'from seisjax.picking import stream\n'
                              'from seisjax.seismo import source\n',
      'seisjax/precursor/data.py': 'import seisjax_datasets.x.b\n',
      'datasets/x/b.py': 'from seisjax.precursor import synthetic\n',
      'seisjax/registry.py': 'from seisjax.precursor import task\n'})
  assert rule_violations(root) == []


def test_a_cycle_is_found(tmp_path):
  root = _tree(tmp_path, {
      'seisjax/precursor/data.py': 'from seisjax_datasets.x import b\n',
      'datasets/x/__init__.py': '',
      'datasets/x/b.py': 'from seisjax.precursor import data\n',
      'seisjax/precursor/synthetic.py': ''})
  assert cycles(root) == [['seisjax.precursor.data', 'seisjax_datasets.x.b']]
  (root / 'datasets/x/b.py').write_text(
      'from seisjax.precursor import synthetic\n')
  assert cycles(root) == []


def test_long_modules_and_path_edits_are_found(tmp_path):
  root = _tree(tmp_path, {'seisjax/big.py': 'x = 1\n' * (MAX_LINES + 1),
                          'bench/b.py': 'import sys\nsys.path.insert(0, ".")\n',
                          'configs/__init__.py': '', 'tests/__init__.py': ''})
  assert long_modules(root) == [f'seisjax/big.py: {MAX_LINES + 1} lines']
  assert path_edits(root) == ['bench/b.py']
