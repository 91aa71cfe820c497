"""scratchenv.slurm on its own: reading sbatch command lines, choosing --export, node reports.

The jobs themselves run on a real Slurm in test_slurm_jobs.py.
"""

from __future__ import annotations

import json

import pytest

from scratchenv.config.settings import load_settings
from scratchenv.errors import ConfigError
from scratchenv.plan import build_plan
from scratchenv.slurm.gate import submission_findings
from scratchenv.slurm.submit import (
    Submission,
    node_rows,
    parse_labelled_reports,
    sbatch_argv,
    script_options,
    sources_activation,
    split_sbatch_args,
    submission_environment,
)


@pytest.mark.parametrize(
    ("argv", "options", "script", "args"),
    [
        (["job.sh"], [], "job.sh", []),
        (["-p", "debug", "job.sh", "-p", "x"], ["-p", "debug"], "job.sh", ["-p", "x"]),
        (["-pdebug", "-N1", "job.sh"], ["-pdebug", "-N1"], "job.sh", []),
        (["--time=1:00", "--parsable", "job.sh", "a"], ["--time=1:00", "--parsable"], "job.sh",
         ["a"]),
        (["--time", "1:00", "-vH", "job.sh"], ["--time", "1:00", "-vH"], "job.sh", []),
        (["-vp", "debug", "job.sh"], ["-vp", "debug"], "job.sh", []),
        (["--exclusive", "--nice", "job.sh"], ["--exclusive", "--nice"], "job.sh", []),
        (["--", "-odd-name.sh", "x"], ["--"], "-odd-name.sh", ["x"]),
    ],
)
def test_script_is_told_apart_from_option_values(argv, options, script, args):
    assert split_sbatch_args(argv) == Submission(tuple(options), script, tuple(args))


def test_wrap_needs_no_script_but_nothing_else_may_omit_it():
    assert split_sbatch_args(["--wrap", "hostname"]).script is None
    assert split_sbatch_args(["--wrap=hostname"]).script is None
    with pytest.raises(ConfigError, match="no job script"):
        split_sbatch_args(["-p", "debug"])


def test_script_options_stop_at_the_first_command():
    text = "#!/bin/bash\n#SBATCH -p debug  # comment\n\n#SBATCH --export=NONE\necho\n#SBATCH -N 9\n"
    assert script_options(text) == ["-p", "debug", "--export=NONE"]


def _argv(options, script_text="", names=("HF_HOME", "UV_CACHE_DIR")):
    submission = Submission(tuple(options), "job.sh", ("arg",))
    return sbatch_argv(submission, list(names), script_text)


def test_export_all_beats_the_site_default():
    argv, warning = _argv(["-p", "debug"])
    assert argv == ["sbatch", "--export=ALL", "-p", "debug", "job.sh", "arg"]
    assert warning is None


def test_an_export_list_gets_the_plan_variables_by_name():
    argv, _ = _argv(["--export", "FOO,HF_HOME=/x"])
    assert argv[:2] == ["sbatch", "--export=FOO,HF_HOME=/x,UV_CACHE_DIR"]
    assert "--export" not in argv[2:]


def test_the_scripts_own_export_counts_and_is_overridden_on_the_command_line():
    argv, _ = _argv([], "#!/bin/bash\n#SBATCH --export=FOO\n")
    assert argv[1] == "--export=FOO,HF_HOME,UV_CACHE_DIR"
    argv, _ = _argv(["--export=ALL,X=1"], "#!/bin/bash\n#SBATCH --export=NONE\n")
    assert argv[1] == "--export=ALL,X=1"


def test_export_none_is_kept_and_warned_unless_the_script_activates():
    argv, warning = _argv(["--export=NONE"])
    assert argv[1] == "--export=NONE" and "without the scratch environment" in warning
    activating = '#!/bin/bash\nsource "$(/opt/bin/scratchenv activate --shell bash)"\n'
    assert sources_activation(activating)
    assert _argv(["--export=NONE"], activating)[1] is None


def test_submission_environment_keeps_node_local_caches_off_this_jobs_node(root, monkeypatch):
    monkeypatch.setenv("SCRATCHENV_VARS", json.dumps({"MY_CACHE": {"path": "c/my",
                                                                   "node_local": True}}))
    plan = build_plan(load_settings())
    inside = {"SLURM_JOB_ID": "7", "TMPDIR": "/node/tmp", "HOME": "/h"}
    env = submission_environment(plan, inside)
    assert env["MY_CACHE"] == f"{root}/c/my"
    assert env["HF_HOME"] == f"{root}/cache/huggingface"
    # what the job gets
    assert plan.apply(inside)["MY_CACHE"] == f"/node/tmp/scratchenv-{plan.user}/c/my"


def _report(node, status="pass"):
    return json.dumps({"schema_version": 1, "ok": status != "fail", "findings": [
        {"check": "node.job", "subject": node, "status": "pass", "message": "job 1"},
        {"check": "root.exists", "subject": "/s", "status": status, "message": "m"},
    ]}, indent=2)


def test_labelled_srun_output_gives_one_report_per_task():
    first, second = (
        [f"{task}: {line}" for line in text.splitlines()]
        for task, text in enumerate([_report("n1"), _report("n2", "fail")])
    )
    # srun interleaves the tasks' lines (each task's own stay in order).
    lines = [line for pair in zip(second, first, strict=True) for line in pair]
    reports = parse_labelled_reports("\n".join(lines) + "\n2: not json\n")
    assert [(r.node, r.report is not None and r.report.ok) for r in reports] == [
        ("n1", True), ("n2", False), ("task 2", False)]
    assert "no report" in reports[2].problem
    rows = node_rows(reports)
    assert rows[0] == ("n1", "ok", "2 pass, 0 warn, 0 skip")
    assert rows[1] == ("n2", "FAILED", "/s: m")
    assert rows[2][:2] == ("task 2", "FAILED")


def _labelled(document):
    return "".join(f"0: {line}\n" for line in json.dumps(document, indent=2).splitlines())


def _with_second_finding(**changes):
    document = json.loads(_report("n1"))
    document["findings"][1].update(changes)
    document["findings"][1] = {k: v for k, v in document["findings"][1].items()
                               if v is not None}
    return document


@pytest.mark.parametrize(("document", "detail"), [
    (_with_second_finding(message=None), "findings[1].message: missing"),
    (_with_second_finding(subject=3), "findings[1].subject: expected a string, got a number"),
    (_with_second_finding(fix=["x"]), "findings[1].fix: expected a string, got a list"),
    (_with_second_finding(status="maybe"),
     "findings[1].status: 'maybe' is not one of pass, warn, fail, skip"),
    ({"schema_version": 1, "ok": True}, "findings: missing"),
    ({"schema_version": 1, "findings": {"check": "x"}},
     "findings: expected a list, got an object"),
    ({"schema_version": 2, "findings": []}, "schema_version is 2; this scratchenv reads 1"),
    (["not", "a", "report"], "expected a JSON object, got a list"),
])
def test_a_malformed_node_report_is_a_failed_row_saying_what_is_wrong(document, detail):
    # What `verify --all-nodes` prints for a node whose scratchenv answered garbage (another
    # version, a wrapper's noise): one line naming the field, not a validation dump.
    reports = parse_labelled_reports(_labelled(document), tasks=1)
    assert node_rows(reports) == [("task 0", "FAILED", f"no report: {detail}")]


def test_a_node_report_may_carry_fields_this_version_does_not_know():
    # Fields are only added (README "verify --json"): a newer node still reads.
    document = json.loads(_report("n1"))
    document["findings"][1]["severity"] = "low"
    document["host_load"] = 0.5
    assert node_rows(parse_labelled_reports(_labelled(document))) == [
        ("n1", "ok", "2 pass, 0 warn, 0 skip")]


def test_a_task_that_printed_nothing_is_a_failed_row():
    # Two nodes in the allocation; only task 0 answered (task 1: scratchenv missing there).
    stdout = "".join(f"0: {line}\n" for line in _report("n1").splitlines())
    reports = parse_labelled_reports(stdout, tasks=2)
    assert [(r.node, r.report is not None) for r in reports] == [("n1", True), ("task 1", False)]
    assert node_rows(reports)[1] == ("task 1", "FAILED", "no report: it printed nothing")
    assert parse_labelled_reports("", tasks=2) == []  # srun's own failure: the caller says so


@pytest.mark.parametrize(("argv", "header", "subject"), [
    (["--wrap", "export HF_HOME=$HOME/hf; python train.py"], "", "sbatch --wrap:1"),
    (["--wrap=srun env HF_HOME=~/hf python train.py"], "", "sbatch --wrap:1"),
    (["--export=ALL,HF_HOME=/home/u/hf", "job.sh"], "", "sbatch --export"),
    (["--export", "OMP_NUM_THREADS=1,HF_HOME=~/hf", "job.sh"], "", "sbatch --export"),
    (["job.sh"], "#!/bin/bash\n#SBATCH -p gpu\n#SBATCH --export=ALL,HF_HOME=$HOME/x\n",
     "job.sh:3"),
])
def test_wrap_and_every_export_value_are_gated(argv, header, subject):
    found = submission_findings(split_sbatch_args(argv), header, names={"HF_HOME"},
                                home="/home/u")
    assert [(f.status, f.subject) for f in found if f.status != "pass"] == [("fail", subject)]
    assert "re-points HF_HOME at home" in found[0].message


@pytest.mark.parametrize("where", ["command line", "header"])
def test_an_export_file_is_gated_like_an_export_list(tmp_path, where):
    defs = tmp_path / "job.env"
    defs.write_bytes(b"OMP_NUM_THREADS=1\0HF_HOME=/home/u/hf\0")
    argv = [f"--export-file={defs}", "job.sh"] if where == "command line" else ["job.sh"]
    header = f"#!/bin/bash\n#SBATCH --export-file={defs}\n" if where == "header" else ""
    found = submission_findings(split_sbatch_args(argv), header, names={"HF_HOME"},
                                home="/home/u")
    failed = [f for f in found if f.status == "fail"]
    assert [f.subject for f in failed] == (["sbatch --export-file"] if where == "command line"
                                           else ["job.sh:2"])
    assert "re-points HF_HOME at home" in failed[0].message
    defs.write_bytes(b"HF_HOME=/scratch/u/hf\0")
    assert all(f.status == "pass" for f in submission_findings(
        split_sbatch_args(argv), header, names={"HF_HOME"}, home="/home/u"))


@pytest.mark.parametrize("value", ["9", "/no/such/file"])
def test_an_export_file_the_gate_cannot_read_warns_and_fails_under_strict(value):
    argv = split_sbatch_args([f"--export-file={value}", "job.sh"])
    found = submission_findings(argv, "", names={"HF_HOME"}, home="/home/u")
    assert [(f.status, f.check) for f in found] == [("warn", "script.cannot_tell")]
    strict = submission_findings(argv, "", names={"HF_HOME"}, home="/home/u", strict=True)
    assert [f.status for f in strict] == ["fail"]


@pytest.mark.parametrize("argv", [
    ["--wrap", "python train.py"],
    ["--export=ALL,HF_HOME=/scratch/u/hf,OMP_NUM_THREADS=1", "job.sh"],
    ["--export=NONE", "job.sh"],
])
def test_a_clean_submission_passes(argv):
    found = submission_findings(split_sbatch_args(argv), "#!/bin/bash\n", names={"HF_HOME"},
                                home="/home/u")
    assert all(f.status == "pass" for f in found)
