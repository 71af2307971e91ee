"""The code snapshot: .amlignore (else .gitignore) decides what each node gets; the user's folder is never written."""

from submit.rehearsal.snapshot import copy_snapshot, snapshot_files


def tree(root, files):
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relative)


def test_gitignore_rules_leave_files_out(tmp_path):
    tree(tmp_path, ["train.py", "data/big.bin", "sub/cache.pyc", "sub/keep.py", "logs/x.txt", ".git/HEAD",
                    "notes/keep.md", "notes/drop.tmp"])
    (tmp_path / ".gitignore").write_text("# data stays out\n/data/\n*.pyc\nlogs\nnotes/*.tmp\n")
    assert sorted(snapshot_files(str(tmp_path))) == [".gitignore", "notes/keep.md", "sub/keep.py", "train.py"]


def test_amlignore_wins_over_gitignore_and_negation_re_includes(tmp_path):
    tree(tmp_path, ["a.txt", "b.txt", "c.py"])
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / ".amlignore").write_text("*.txt\n!b.txt\n")
    assert sorted(snapshot_files(str(tmp_path))) == [".amlignore", ".gitignore", "b.txt", "c.py"]


def test_the_rehearsals_own_folder_is_never_copied_into_itself(tmp_path):
    tree(tmp_path, ["train.py", "outputs/rehearse/old/x.txt"])
    assert snapshot_files(str(tmp_path), leave_out=(str(tmp_path / "outputs" / "rehearse"),)) == ["train.py"]


def test_the_copy_is_writable_and_the_source_unchanged(tmp_path):
    source, target = tmp_path / "code", tmp_path / "node-0"
    tree(source, ["train.py", "pkg/m.py"])
    (source / "train.py").chmod(0o444)
    before = {p: p.stat().st_mtime_ns for p in source.rglob("*")}
    copy_snapshot(str(source), snapshot_files(str(source)), str(target))
    assert (target / "pkg" / "m.py").read_text() == "pkg/m.py"
    assert (target / "train.py").stat().st_mode & 0o222
    assert {p: p.stat().st_mtime_ns for p in source.rglob("*")} == before
    assert (source / "train.py").stat().st_mode & 0o777 == 0o444
