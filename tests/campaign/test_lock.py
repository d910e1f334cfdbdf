"""One run per output folder: a second `mutagrad run` into the same --out is refused at once."""
import os
import subprocess
import sys

import pytest

from helpers import ROOT, run_main
from mutagrad.campaign.lock import FolderBusy, locked_folder

HOLD = "import sys, time; from mutagrad.campaign.lock import locked_folder\n" \
       "with locked_folder(sys.argv[1]):\n    print('held', flush=True)\n    sys.stdin.read()\n"


def test_a_second_lock_on_the_folder_is_refused_naming_the_holder(tmp_path):
    with locked_folder(tmp_path / "out"):
        with pytest.raises(FolderBusy, match=rf"--out {tmp_path / 'out'}: another mutagrad run \(process "
                                             rf"{os.getpid()}\) is writing to this folder"):
            with locked_folder(tmp_path / "out"):
                pass
    with locked_folder(tmp_path / "out"):  # released when the first run ends
        pass


def test_a_run_into_a_busy_folder_is_one_line_exit_2_and_damages_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    kept = {"journal.jsonl": '{"header": "the first run"}\n', "report.md": "the first run's report\n"}
    for name, text in kept.items():
        (out / name).write_text(text)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline() == "held\n"  # an event, not a sleep: the first run holds the folder
        code, stdout, stderr = run_main(capsys, "run", "transposed-dw", "--out", out, "--jobs", "1")
    finally:
        holder.communicate("")
    assert code == 2
    assert stderr == (f"mutagrad: error: --out {out}: another mutagrad run (process {holder.pid}) is writing to this "
                      f"folder; wait for it to end, or choose another --out\n")
    assert {p.name: p.read_text() for p in out.iterdir() if p.name != ".lock"} == kept
