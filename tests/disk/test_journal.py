"""The one journal migrate, checkpoints adopt and archive keep (disk/journal.py): what it
records, and which of its tokens may ever name leftovers to delete."""

from __future__ import annotations

import json
import os
import stat

from scratchenv.disk.journal import Journal


def test_a_run_records_its_token_before_copying_and_forgets_at_the_end(tmp_path):
    path = tmp_path / "root" / ".scratchenv" / "run.json"
    journal = Journal(path)
    assert not journal.found and journal.parts == []
    first = journal.begin(folder="archived_models_20260101")
    second = Journal(path).begin()  # a re-run after a kill keeps the first run's token
    again = Journal(path)
    assert again.found and again.parts == [first, second]
    assert again.data["folder"] == "archived_models_20260101"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again.touch("/home/u/.art")
    assert Journal(path).touched == {"/home/u/.art"}
    again.forget()
    assert not path.exists() and not Journal(path).found


def test_only_tokens_a_run_could_have_made_name_leftovers(tmp_path):
    """A token that is not plain letters and digits could match a user's own file (or reach
    out of the directory): it is never taken, whoever wrote it into the journal."""
    path = tmp_path / "run.json"
    token = Journal(path).begin()
    data = json.loads(path.read_text())
    data["parts"] += ["", "../x", "a.b", 7, None]
    path.write_text(json.dumps(data))
    assert Journal(path).parts == [token]


def test_a_journal_others_could_write_says_nothing(tmp_path):
    path = tmp_path / "run.json"
    Journal(path).begin(folder="x")
    os.chmod(path, 0o666)
    found = Journal(path)
    assert not found.found and found.parts == [] and found.data == {}

