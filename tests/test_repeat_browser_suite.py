"""The repeat script runs a suite several times and counts which tests failed how often."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "repeat_browser_suite.py"

# A suite whose second run fails: each run counts itself in a file beside the tests.
FLAKY_SUITE = '''
from pathlib import Path

COUNTER = Path(__file__).with_name("runs.txt")


def test_stable():
    pass


def test_second_run_fails():
    runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(runs))
    assert runs != 2
'''


def load_script():
    spec = importlib.util.spec_from_file_location("repeat_browser_suite", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while the script runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture
def flaky_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The suite needs no plugins, and loading the installed ones takes seconds per run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (tmp_path / "test_flaky.py").write_text(FLAKY_SUITE, encoding="utf-8")
    return tmp_path


def run_flaky(script, suite: Path, runs: int, **options) -> tuple[list, str]:
    stream = io.StringIO()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_flaky.py"]
    outcomes = script.repeat(command, runs, stream, cwd=suite, **options)
    script.write_summary(outcomes, stream)
    return outcomes, stream.getvalue()


def test_repeat_counts_flaky_test(script, flaky_suite: Path) -> None:
    outcomes, output = run_flaky(script, flaky_suite, 3)
    assert [outcome.status for outcome in outcomes] == [0, 1, 0]
    assert outcomes[1].failed == ["test_flaky.py::test_second_run_fails"]
    assert "run 2/3: 1 failed in" in output
    assert "3 runs, 1 failed." in output
    assert "  1 of 3  test_flaky.py::test_second_run_fails" in output


def test_repeat_keeps_failed_output(script, flaky_suite: Path, tmp_path: Path) -> None:
    kept_dir = tmp_path / "kept"
    run_flaky(script, flaky_suite, 2, keep_output=kept_dir)
    assert sorted(path.name for path in kept_dir.iterdir()) == ["run-2.txt"]
    assert "test_second_run_fails" in (kept_dir / "run-2.txt").read_text(encoding="utf-8")


# A suite that records the pytest base temporary folder of each run beside the tests.
BASETEMP_SUITE = '''
from pathlib import Path


def test_record_basetemp(tmp_path_factory):
    with Path(__file__).with_name("basetemps.txt").open("a", encoding="utf-8") as record:
        record.write(f"{tmp_path_factory.getbasetemp()}\\n")
'''


def test_concurrent_runs_use_own_basetemp(script, flaky_suite: Path) -> None:
    (flaky_suite / "test_basetemp.py").write_text(BASETEMP_SUITE, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_basetemp.py"]
    stream = io.StringIO()
    outcomes = script.repeat(command, 4, stream, cwd=flaky_suite, jobs=2)

    assert [outcome.number for outcome in outcomes] == [1, 2, 3, 4]
    assert all(outcome.passed for outcome in outcomes)
    assert stream.getvalue().count(" passed in ") == 4
    basetemps = (flaky_suite / "basetemps.txt").read_text(encoding="utf-8").split()
    assert len(set(basetemps)) == 4
    assert sorted(Path(folder).name for folder in basetemps) == ["run-1", "run-2", "run-3", "run-4"]
    assert not any(Path(folder).exists() for folder in basetemps)


def test_concurrent_failures_counted(script, flaky_suite: Path, tmp_path: Path) -> None:
    (flaky_suite / "test_fails.py").write_text("def test_always_fails():\n    assert False\n", encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_fails.py"]
    stream = io.StringIO()
    kept_dir = tmp_path / "kept"
    outcomes = script.repeat(command, 3, stream, cwd=flaky_suite, jobs=3, keep_output=kept_dir)
    script.write_summary(outcomes, stream)

    assert [outcome.status for outcome in outcomes] == [1, 1, 1]
    assert "3 runs, 3 failed." in stream.getvalue()
    assert "  3 of 3  test_fails.py::test_always_fails" in stream.getvalue()
    assert sorted(path.name for path in kept_dir.iterdir()) == ["run-1.txt", "run-2.txt", "run-3.txt"]


def test_repeat_reports_timeout(script, flaky_suite: Path) -> None:
    stream = io.StringIO()
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    [outcome] = script.repeat(command, 1, stream, cwd=flaky_suite, timeout=0.5)
    assert outcome.status is None
    assert "timed out after" in stream.getvalue()


def test_failed_tests_parsed(script) -> None:
    output = "F.E\nFAILED tests/a.py::test_x[case-1] - AssertionError: no\nERROR tests/b.py::test_y - RuntimeError\n1 failed"
    assert script.failed_tests(output) == ["tests/a.py::test_x[case-1]", "tests/b.py::test_y (error)"]


def test_zero_runs_rejected(script, capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        script.main(["--runs", "0"])
    assert raised.value.code == 2
    assert "--runs: expected a positive number of runs, got 0" in capsys.readouterr().err


def test_zero_jobs_rejected(script, capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        script.main(["--jobs", "0"])
    assert raised.value.code == 2
    assert "--jobs: expected a positive number of concurrent runs, got 0" in capsys.readouterr().err
