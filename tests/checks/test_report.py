"""The report renderers: what a person, a CI summary and a CI test report see."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from scratchenv import plain
from scratchenv.checks.findings import SCHEMA_VERSION, Finding, Report, report_from_document
from scratchenv.checks.report import JsonReport, json_schema, render

REPORT = Report(findings=[
    Finding(check="root.free_space", subject="/scratch/u", status="pass", message="812G free"),
    Finding(check="root.exists", subject="/scratch/u", status="pass", message="exists"),
    Finding(check="var.set", subject="HF_HOME", status="pass", message="set to /scratch/u/hf"),
    Finding(check="var.not_in_home", subject="HF_HOME", status="fail",
            message="/scratch/u/hf (really /home/u/hf) is inside home",
            fix="replace the symlink on the way to /scratch/u/hf with a directory on scratch"),
    Finding(check="var.permissions", subject="PIP_CACHE_DIR", status="warn",
            message="/scratch/u/pip is group-writable", fix="chmod g-w /scratch/u/pip"),
    Finding(check="tool.location", subject="torch", status="skip",
            message="torch is not installed"),
])
OK = Report(findings=REPORT.findings[:3])


def test_human_default_shows_only_problems_and_the_summary() -> None:
    # verify -h says the default shows only problems: no ✓ or - line without -v.
    lines = render(REPORT, "human").splitlines()
    assert lines == [
        "✗ HF_HOME: /scratch/u/hf (really /home/u/hf) is inside home",
        "    fix: replace the symlink on the way to /scratch/u/hf with a directory on scratch",
        "! PIP_CACHE_DIR: /scratch/u/pip is group-writable",
        "    fix: chmod g-w /scratch/u/pip",
        "scratchenv verify: FAILED (3 passed, 1 warning, 1 failed, 1 skipped)",
    ]
    assert render(OK, "human").splitlines() == [
        "scratchenv verify: ok (3 passed, 0 warnings, 0 failed, 0 skipped)"]


def test_human_verbose_lists_every_finding() -> None:
    lines = render(REPORT, "human", verbose=True).splitlines()
    assert lines[0] == "✓ /scratch/u: 812G free"
    assert "✓ HF_HOME: set to /scratch/u/hf" in lines
    assert "- torch: torch is not installed" in lines
    assert "    fix: chmod g-w /scratch/u/pip" in lines
    assert len(lines) == len(REPORT.findings) + 2 + 1  # every finding, two fixes, summary


def test_json_document() -> None:
    document = json.loads(render(REPORT, "json"))
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["ok"] is False
    assert document["summary"] == {"pass": 3, "warn": 1, "fail": 1, "skip": 1}
    assert document["findings"][3] == {
        "check": "var.not_in_home", "subject": "HF_HOME", "status": "fail",
        "message": "/scratch/u/hf (really /home/u/hf) is inside home",
        "fix": "replace the symlink on the way to /scratch/u/hf with a directory on scratch",
    }
    assert report_from_document(document) == REPORT


def test_json_holds_a_path_that_is_not_utf8():
    # An undecodable byte in a root's name reaches Python as a lone surrogate: the document
    # carries it as a \u escape and reads back to the same name (pydantic crashed on it).
    report = Report(findings=[Finding(check="root.exists", subject="/scratch/a\udcffb",
                                      status="pass", message="exists")])
    text = render(report, "json")
    assert "\\udcff" in text and text.encode("utf-8")  # writable, escaped
    assert report_from_document(json.loads(text)) == report


def test_json_schema_is_stable() -> None:
    # Changing the --json schema means a new golden file and, unless the change only adds
    # fields, a new SCHEMA_VERSION (README: "verify --json").
    golden = Path(__file__).parent.parent / "fixtures" / "verify-schema.json"
    assert json_schema() == json.loads(golden.read_text())


def test_json_schema_names_every_field_of_the_document():
    # The schema is written out by hand: it must name exactly what to_json() prints.
    schema = json_schema()
    assert list(json.loads(render(REPORT, "json"))) == [
        field.name for field in plain.fields(JsonReport)]
    assert set(schema["properties"]) == {field.name for field in plain.fields(JsonReport)}
    assert set(schema["$defs"]["Finding"]["properties"]) == {
        field.name for field in plain.fields(Finding)}


def test_the_report_types_import_no_pydantic():
    # verify builds dozens of findings and prints them: pydantic's import alone cost more
    # than the checks (issue 27).
    code = ("import sys, scratchenv.checks.findings, scratchenv.checks.report; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_markdown_checklist() -> None:
    lines = render(REPORT, "markdown").splitlines()
    assert lines[0] == "### scratchenv verify: ❌ failed"
    assert "- [x] `HF_HOME` set to /scratch/u/hf" in lines
    assert ("- [ ] **failed:** `HF_HOME` /scratch/u/hf (really /home/u/hf) is inside home "
            "(fix: `replace the symlink on the way to /scratch/u/hf with a directory on "
            "scratch`)") in lines
    assert ("- [x] **warning:** `PIP_CACHE_DIR` /scratch/u/pip is group-writable "
            "(fix: `chmod g-w /scratch/u/pip`)") in lines
    assert "- [ ] *skipped:* `torch` torch is not installed" in lines


def test_markdown_escapes_emphasis_in_messages() -> None:
    report = Report(findings=[Finding(check="x", subject="a_b", status="pass",
                                      message="/scratch/my_dir/*")])
    assert "- [x] `a_b` /scratch/my\\_dir/\\*" in render(report, "markdown").splitlines()


def test_junit_xml_holds_names_xml_cannot() -> None:
    # A control character, and an undecodable byte as Python hands it over.
    report = Report(findings=[Finding(check="root.exists", subject="/scratch/a\x01b\udcffc",
                                      status="fail", message="missing")])
    case = ET.fromstring(render(report, "junit").encode()).find("testsuite/testcase")
    assert case is not None and case.get("name") == "/scratch/a\\x01b\\xffc"


def test_junit_xml() -> None:
    root = ET.fromstring(render(REPORT, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "1", "1")
    cases = suite.findall("testcase")
    failed = [case for case in cases if case.find("failure") is not None]
    assert [(case.get("classname"), case.get("name")) for case in failed] == [
        ("var.not_in_home", "HF_HOME")]
    failure = failed[0].find("failure")
    assert failure is not None and "symlink" in (failure.text or "")
    assert len([case for case in cases if case.find("skipped") is not None]) == 1
