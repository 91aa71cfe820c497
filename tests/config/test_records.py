"""The plain records the Plan carries match the pydantic schemas that validate them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from scratchenv import plain
from scratchenv.config import records
from scratchenv.config.catalogue import EntryTable, UnsyncedTable, load_default
from scratchenv.config.sections import LoginTable, PurgeTable, ThresholdsTable

PAIRS = [(records.Entry, EntryTable), (records.Unsynced, UnsyncedTable),
         (records.Thresholds, ThresholdsTable), (records.Login, LoginTable),
         (records.Purge, PurgeTable)]


@pytest.mark.parametrize(("record", "table"), PAIRS, ids=[r.__name__ for r, _ in PAIRS])
def test_each_record_has_its_schemas_fields_and_defaults(record: type, table: type[BaseModel]):
    schema = {name: field.get_default(call_default_factory=True)
              for name, field in table.model_fields.items()}
    mine = {field.name: (PydanticUndefined if field.default is plain.MISSING
                         else field.default) for field in plain.fields(record)}
    assert mine == schema


def test_a_section_is_copied_with_its_validated_values():
    table = ThresholdsTable.model_validate({"home_warn": "5G", "quota_near": 0.5})
    copy = records.copied(records.Thresholds, table)
    assert copy == records.Thresholds(home_warn=5 * 1024**3, quota_near=0.5)


def test_the_catalogue_holds_plain_records():
    entries = load_default().entries
    assert all(type(entry) is records.Entry for entry in entries)
    unsynced = [entry.unsynced for entry in entries if entry.unsynced is not None]
    assert unsynced and all(type(rule) is records.Unsynced for rule in unsynced)


def test_the_plan_and_its_records_import_no_pydantic():
    probe = ("import sys, scratchenv.plan, scratchenv.config.records\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('pydantic', 'pydantic_settings', 'pydantic_core', 'tomllib')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
