"""Take the lessons' screenshots of the lab's own Airflow UI, in Korean (notebooks/images/ui/*.png).

    .venv/bin/python tools/screenshots.py            # the running lab (`lab up`) into notebooks/images/ui/
    .venv/bin/python tools/screenshots.py --out DIR  # into DIR (tests/notebooks/test_screenshots.py)

A real browser: Debian's Chromium (scripts/setup-browser.sh installs it with the Noto CJK fonts), driven by
the playwright package of .venv, never a browser Playwright downloads. The UI speaks the browser's language,
so the browser asks for Korean. The lab comes from the LAB_* settings, as every `lab` command reads them.

Each shot is one function below (typing a date into the UI's pickers comes from the shots helper's branch):
it makes the state its page needs through Airflow's REST API (a run to
show, the catch-up's runs), opens the page, checks that it shows what the lesson names (a button, a tab,
a dialog's option) and only then saves the picture. When Airflow's UI changes, the script stops at the
first shot whose words are gone and names them; re-run it, and the lessons show the new UI. A PNG in the
folder that no shot makes is removed, so the folder holds exactly the script's pictures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # tools/ is a folder of scripts; the lab is importable from the checkout

from lab import airflow, airflow_client  # noqa: E402
from lab.config import load_settings  # noqa: E402

OUT_DIR = REPO_ROOT / "notebooks" / "images" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TALL_VIEWPORT = {"width": 1280, "height": 1000}  # the backfill form is taller than VIEWPORT
PAGE_WAIT_MS = 30_000
SETTLE_MS = 700  # charts and lists animate in after the words appear
FULL_REFRESH = "MySQL_to_Redshift"
UPSERT = "MySQL_to_Redshift_v2"
CATCHUP = "MySQL_to_Redshift_v2_catchup"
SHOWN_DAY = date(2024, 1, 2)  # a seeded day, in the lab and in the tests' smaller seed
BACKFILL_DAYS = (date(2024, 1, 2), date(2024, 1, 4))  # notebook 04's example range


class ShotError(RuntimeError):
    """A shot's page does not show what the lesson talks about."""


class Browser:
    """One logged-in Chromium page of the lab's Airflow UI."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, path: str, *expected: str) -> None:
        self.page.goto(self.base_url + path)
        self.expect(*expected)

    def expect(self, *texts: str) -> None:
        """Wait until every text shows on the page; ShotError naming the missing ones otherwise."""
        missing = []
        for text in texts:
            try:
                self.page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=PAGE_WAIT_MS)
            except Exception:  # playwright's TimeoutError: the text never showed
                missing.append(text)
        if missing:
            raise ShotError(f"{self.page.url} does not show {missing}")
        self.page.wait_for_timeout(SETTLE_MS)

    def click_button(self, name: str, *expected: str) -> None:
        self.page.get_by_role("button", name=name).first.click()
        self.expect(*expected)

    def fill_date(self, label: str, day: date, nth: int = 0) -> None:
        """Type ``day`` at midnight into the dialog's ``nth`` date field (a button that opens a calendar with
        a YYYY/MM/DD and an HH:mm box), then close the calendar by clicking the field's ``label``."""
        self.page.get_by_test_id("datetime-input").nth(nth).click()
        self.page.locator("input[placeholder='YYYY/MM/DD']:visible").first.fill(day.strftime("%Y/%m/%d"))
        self.page.locator("input[placeholder='HH:mm']:visible").first.fill("00:00")
        self.page.get_by_role("dialog").first.get_by_text(label, exact=True).first.click()
        self.expect(f"{day.month}월 {day:%d}, {day.year} 00:00")  # how the field shows it in Korean

    def save(self, path: Path) -> None:
        self.page.screenshot(path=str(path))


def finished_run(client: airflow_client.Client, dag_id: str, day: date) -> str:
    """The id of a successful run of ``dag_id`` for ``day``, triggered and waited for if there is none."""
    for run in client.runs(dag_id):
        if run["logical_date"][:10] == day.isoformat() and run["state"] == "success":
            return run["dag_run_id"]
    client.set_paused(dag_id, False)
    run_id = client.trigger(dag_id, day)
    if client.wait_for_run(dag_id, run_id)["state"] != "success":
        raise ShotError(f"{dag_id} {day}: the run to show did not succeed ({run_id})")
    return run_id


def caught_up(client: airflow_client.Client, dag_id: str, days: int = 3, timeout: float = 180) -> None:
    """The catch-up DAG with its window's runs, all finished: made as the lesson makes them if missing."""
    if len([run for run in client.runs(dag_id) if run["state"] == "success"]) == days:
        return
    client.set_paused(dag_id, True)
    client.delete_runs(dag_id)
    parsed = client.reparse(dag_id)
    deadline = time.monotonic() + timeout
    while client.request("GET", f"/dags/{dag_id}/details")["last_parsed_time"] == parsed:
        time.sleep(0.5)
    client.set_paused(dag_id, False)
    while sum(run["state"] == "success" for run in client.runs(dag_id)) < days:
        if time.monotonic() > deadline:
            raise ShotError(f"{dag_id}: the catch-up did not finish its {days} runs in {timeout:.0f} s")
        time.sleep(1)


def task_page(dag_id: str, run_id: str, task_id: str) -> str:
    return f"/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}"


# --- The shots: file name -> what the lesson shows -----------------------------------------------------


def dags_list(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 01: the Dag list, where every DAG has its pause toggle and trigger button."""
    browser.open("/dags", FULL_REFRESH, "다음 실행")


def trigger_single_run(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 02: the trigger dialog, a single run with its logical date."""
    browser.open(f"/dags/{FULL_REFRESH}", FULL_REFRESH)
    browser.click_button("트리거", "단일 실행", "논리적 날짜")
    browser.fill_date("논리적 날짜", SHOWN_DAY)


def grid_logs(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 02: a task of a run in the Grid, its Logs tab with the log."""
    run_id = finished_run(client, FULL_REFRESH, SHOWN_DAY)
    browser.open(task_page(FULL_REFRESH, run_id, "s3_to_redshift_nps"), "로그", "s3_to_redshift_nps")


def clear_task(browser: Browser, client: airflow_client.Client) -> None:
    """Notebooks 03 and 10: the Clear dialog of a task, with its Past/Future/Upstream/Downstream options."""
    run_id = finished_run(client, FULL_REFRESH, SHOWN_DAY)
    browser.open(task_page(FULL_REFRESH, run_id, "s3_to_redshift_nps"), "s3_to_redshift_nps")
    browser.click_button("지우기", "다운스트림", "업스트림")


def backfill_dialog(browser: Browser, client: airflow_client.Client) -> None:
    """Notebooks 04 and 11: Trigger -> Backfill, with the date range, reprocess behaviour, max active runs."""
    browser.page.set_viewport_size(TALL_VIEWPORT)
    browser.open(f"/dags/{UPSERT}", UPSERT)
    browser.click_button("트리거", "백필")
    browser.page.get_by_role("dialog").get_by_text("백필", exact=True).first.click()
    browser.expect("날짜 범위")
    for nth, day in enumerate(BACKFILL_DAYS):
        browser.fill_date("날짜 범위", day, nth)
    browser.expect("재처리 동작", "최대 활성 실행 수", "백필 실행")


def catchup_unpause(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 09: the catch-up DAG, its pause toggle by its name, and the window's runs in the Grid."""
    caught_up(client, CATCHUP)
    browser.open(f"/dags/{CATCHUP}", CATCHUP, "개요", "mysql_to_s3_nps")


def connections(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 01: Admin -> Connections, where the course made its three connections."""
    browser.open("/connections", "커넥션", "mysql_conn_id", "aws_conn_id", "redshift_dev_db")


def health(browser: Browser, client: airflow_client.Client) -> None:
    """Notebook 01: the home page's health panel (the lab runs no triggerer: notebook 01 says why)."""
    browser.open("/", "트리거러", "스케줄러")


SHOTS: dict[str, Callable[[Browser, airflow_client.Client], None]] = {
    "dags_list.png": dags_list,
    "trigger_single_run.png": trigger_single_run,
    "grid_logs.png": grid_logs,
    "clear_task.png": clear_task,
    "backfill_dialog.png": backfill_dialog,
    "catchup_unpause.png": catchup_unpause,
    "connections.png": connections,
    "health.png": health,
}


def launch(playwright):
    if not CHROMIUM.exists():
        raise SystemExit(
            f"screenshots: no browser at {CHROMIUM}: run scripts/setup-browser.sh"
            " (or `sudo apt-get install chromium fonts-noto-cjk`)"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.wait_for_selector("input[name=username]", timeout=PAGE_WAIT_MS)
    page.fill("input[name=username]", airflow.ADMIN_USER)
    page.fill("input[name=password]", airflow.ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=username]", state="detached", timeout=PAGE_WAIT_MS)


def take_all(out_dir: Path) -> list[Path]:
    """Every shot into ``out_dir``; returns the files written."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    settings = load_settings()
    client = airflow.client(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(locale="ko-KR", viewport=VIEWPORT)
            page = context.new_page()
            log_in(page, settings.airflow_url)
            for name, shot in SHOTS.items():
                try:
                    shot(Browser(page, settings.airflow_url), client)
                except (ShotError, PlaywrightTimeout) as error:  # a click or box that never showed
                    raise ShotError(f"shot {name}: {error}") from None
                Browser(page, settings.airflow_url).save(out_dir / name)
                page.set_viewport_size(VIEWPORT)
                written.append(out_dir / name)
                print(f"screenshots: {name}", flush=True)
        finally:
            browser.close()
    for stale in set(out_dir.glob("*.png")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"folder of the PNGs (default {OUT_DIR})")
    args = parser.parse_args(argv)
    try:
        take_all(args.out)
    except ShotError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
