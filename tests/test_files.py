"Files the package writes atomically get the permissions a plain write would give them."
import os, stat

import pytest

from sol_trainer.utils import write_json, write_text


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_atomic_writes_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        with open(tmp_path / "plain.txt", "w") as f: f.write("x")
    finally: os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o666 & ~umask


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "shared.txt"
    write_text(path, "one")
    path.chmod(0o664)
    write_text(path, "two")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664 and path.read_text() == "two"
