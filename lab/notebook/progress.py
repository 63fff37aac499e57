"""Waiting for DAG runs: a progress bar naming the run being worked on, and what a timeout found."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime

from tqdm import auto as tqdm_auto
from tqdm import std as tqdm_std

from lab import airflow_client
from lab.bilingual import say
from lab.notebook.peers import POLL_SECONDS


def watch(
    get_runs: Callable[[], Sequence[dict]],
    get_tasks: Callable[[str], dict[str, str | None]],
    timeout: float,
    poll_seconds: float = POLL_SECONDS,
    out=None,
    per_task: bool = True,
) -> list[dict]:
    """Poll runs until they finish; returns them as ``get_runs`` lists them, once all have finished.

    A progress bar counts the finished runs and names the one being worked on. ``per_task``: a line per
    change of a run's or a task's state too; otherwise a line per run that did not succeed, and a summary.
    After ``timeout`` seconds, TimeoutError names every unfinished run, its tasks' states and since when.
    ``out``: where lines and bar go (a notebook's own output, as a widget bar, if None).
    """
    started = time.monotonic()
    progress = _Progress(started)
    bar = None
    try:
        while True:
            runs = list(get_runs())
            bar = bar or _progress_bar(len(runs), out)
            now = time.monotonic()
            for run in runs:
                run_id = run["dag_run_id"]
                if progress.finished(run_id):
                    continue
                states = {"(run)": run["state"]}
                if run["state"] != "queued":  # a queued run's tasks have not started: spare the API a call
                    states.update(get_tasks(run_id))
                for task, state in progress.changes(run_id, states, now):
                    if per_task:
                        _write(bar, f"{now - started:6.1f}s  {run_id}  {task}: {state_label(state)}", out)
                    elif task == "(run)" and state in airflow_client.FINISHED_STATES and state != "success":
                        _write(bar, progress.finished_line(run, len(runs)), out)
            bar.n = progress.done  # tqdm's way for a count known, not stepped (then refreshed)
            bar.set_description(progress.describe(runs), refresh=True)
            if all(run["state"] in airflow_client.FINISHED_STATES for run in runs):
                bar.close()
                if not per_task:
                    _write(bar, progress.summary(runs), out)
                return runs
            if now - started > timeout:
                raise TimeoutError(progress.unfinished(runs, now, timeout))
            time.sleep(poll_seconds)
    finally:
        if bar is not None:
            bar.close()


# Airflow's state names as its Korean UI shows them (airflow/ui/dist/i18n/locales/ko/common.json, "states").
STATES_KO = {
    "queued": "대기 중",
    "scheduled": "예약됨",
    "running": "실행 중",
    "success": "성공",
    "failed": "실패",
    "up_for_retry": "재시도 대기 중",
    "up_for_reschedule": "재예약 대기 중",
    "upstream_failed": "업스트림 실패",
    "skipped": "건너뜀",
    "deferred": "연기됨",
    "restarting": "다시 시작 중",
    "removed": "제거됨",
    None: "상태 없음",
}


def state_label(state: str | None) -> str:
    """``실행 중 (running)``: a run's or task's state, Korean as Airflow's UI says it, then Airflow's word."""
    return f"{STATES_KO.get(state, state)} ({state or 'none'})"


def _progress_bar(total: int, out) -> tqdm_std.tqdm:
    """Runs done of ``total``; in a notebook a widget (tqdm.auto), else text in ``out`` (or on stderr)."""
    shape = {"total": total, "unit": "run", "mininterval": 0, "miniters": 1, "dynamic_ncols": True}
    if out is None:
        return tqdm_auto.tqdm(**shape)
    return tqdm_std.tqdm(file=out, **shape)


def _write(bar: tqdm_std.tqdm, line: str, out) -> None:
    """A line above the progress bar, without breaking it."""
    type(bar).write(line, file=out or sys.stdout)


class _Progress:
    """What ``watch`` has seen: each run's and task's state, since when, and how many runs finished."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.seen: dict[tuple[str, str], tuple[str | None, float]] = {}  # state, first seen at
        self.done = 0

    def finished(self, run_id: str) -> bool:
        """The run was seen finished at an earlier poll: nothing of it changes any more."""
        state, _ = self.seen.get((run_id, "(run)"), (None, 0.0))
        return state in airflow_client.FINISHED_STATES

    def changes(self, run_id: str, states: dict[str, str | None], now: float) -> list[tuple[str, str | None]]:
        changed = []
        for task, state in states.items():
            previous = self.seen.get((run_id, task))
            if previous is None or previous[0] != state:
                self.seen[(run_id, task)] = (state, now)
                changed.append((task, state))
                if task == "(run)" and state in airflow_client.FINISHED_STATES:
                    self.done += 1
        return changed

    def describe(self, runs: Sequence[dict]) -> str:
        """The bar's label: the run being worked on and its running tasks, or what the runs wait for."""
        running = [run for run in runs if run["state"] == "running"]
        if running:
            first = running[0]
            tasks = [
                task
                for (run_id, task), (state, _) in self.seen.items()
                if run_id == first["dag_run_id"] and task != "(run)" and state == "running"
            ]
            others = f" 외 {len(running) - 1}개 (+{len(running) - 1})" if len(running) > 1 else ""
            return f"{_run_name(first)}{others} {state_label('running')}" + (
                f" · {', '.join(tasks)}" if tasks else ""
            )
        waiting = [run for run in runs if run["state"] not in airflow_client.FINISHED_STATES]
        if waiting:
            return f"{len(waiting)}개 {STATES_KO['queued']} ({len(waiting)} waiting)"
        failed = sum(run["state"] == "failed" for run in runs)
        return f"완료, 실패 {failed}개 (done, {failed} failed)" if failed else "완료 (done)"

    def finished_line(self, run: dict, total: int) -> str:
        """``[ 7/30] 2024-01-07 실패 (failed)    4.1 s``: the run's logical date, how it ended, how long."""
        width = len(str(total))
        seconds = _seconds_between(run.get("start_date"), run.get("end_date"))
        took = f"{seconds:7.1f} s" if seconds is not None else ""
        return f"[{self.done:>{width}}/{total}] {_run_name(run)} {state_label(run['state'])}{took}"

    def summary(self, runs: Sequence[dict]) -> str:
        succeeded = sum(run["state"] == "success" for run in runs)
        failed = len(runs) - succeeded
        return say(
            f"실행 {len(runs)}개가 끝났습니다: 성공 {succeeded}개, 실패 {failed}개.",
            f"{len(runs)} runs finished: {succeeded} succeeded, {failed} failed.",
        )

    def unfinished(self, runs: Sequence[dict], now: float, timeout: float) -> str:
        """What is still running or waiting, and for how long: the TimeoutError's message."""
        waiting = [run for run in runs if run["state"] not in airflow_client.FINISHED_STATES]
        lines = [
            say(
                f"실행 {len(runs)}개 중 {len(waiting)}개가 {timeout:.0f}초 안에 끝나지 않았습니다:",
                f"{len(waiting)} of {len(runs)} runs not finished after {timeout:.0f} s:",
            )
        ]
        queued = [run["dag_run_id"] for run in waiting if run["state"] == "queued"]
        for run_id in (run["dag_run_id"] for run in waiting if run["state"] != "queued"):
            lines.append(f"  {run_id}: {self._state_since(run_id, '(run)', now)}")
            for (seen_run, task), _ in self.seen.items():
                if seen_run == run_id and task != "(run)":
                    lines.append(f"    {task}: {self._state_since(run_id, task, now)}")
        if queued:
            longest = max(now - self.seen[(run_id, "(run)")][1] for run_id in queued)
            names = queued[0] if len(queued) == 1 else f"{queued[0]} ... {queued[-1]}"
            lines.append(
                f"  {state_label('queued')} {len(queued)}개 (runs, not started), {longest:.0f} s: {names}"
            )
        lines.append(
            say(
                "실행이나 태스크가 계속 대기 중이면 DAG가 일시 중지되었거나 스케줄러가 멈춘 것입니다"
                " (`lab status`, labs.ko.md의 문제 해결). 태스크가 오래 실행 중이면 로그를 봅니다:"
                " nb.task_log(dag_id, run_id, task_id).",
                "A run or task that stays queued: is the DAG paused, or the scheduler down? (`lab status`,"
                " labs.md troubleshooting). A task running long: its log,"
                " nb.task_log(dag_id, run_id, task_id).",
            )
        )
        return "\n".join(lines)

    def _state_since(self, run_id: str, task: str, now: float) -> str:
        state, since = self.seen[(run_id, task)]
        return f"{state_label(state)}, {now - since:.0f} s"


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not (start and end):
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def logical_day(run: dict) -> date | None:
    value = run.get("logical_date")
    return datetime.fromisoformat(value).date() if value else None


def _run_name(run: dict) -> str:
    """What a learner calls a run: its logical date (a manual run without one: its id)."""
    return str(logical_day(run) or run["dag_run_id"])
