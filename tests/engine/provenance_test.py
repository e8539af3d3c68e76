"""The commit quoted beside benchmark figures names the code, or says so."""

import subprocess

from seisjax.engine import provenance


def _git(cwd, *args):
  subprocess.run(['git', *args], cwd=cwd, check=True, capture_output=True)


def test_commit_names_head_and_marks_uncommitted_changes(tmp_path,
                                                         monkeypatch):
  monkeypatch.chdir(tmp_path)
  assert provenance.commit() == 'unknown'  # not a repository
  _git(tmp_path, 'init', '-q')
  (tmp_path / 'a.txt').write_text('1')
  _git(tmp_path, 'add', 'a.txt')
  _git(tmp_path, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit',
       '-q', '-m', 'one')
  head = provenance.git('rev-parse', '--short', 'HEAD')
  assert head and provenance.commit() == head
  (tmp_path / 'a.txt').write_text('2')
  assert provenance.commit() == f'{head} (uncommitted changes)'
