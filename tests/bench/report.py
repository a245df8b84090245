"""Report speed and memory: our renderer against a naive WeasyPrint render of the same events.

For 20,000 events: seconds, pages and peak memory of `manage.py render_report` (worker processes
included) against the naive baseline measured in the same run: one HTML table of every event,
rendered by WeasyPrint with default settings. Targets: at least 10× faster, at most 500 pages in
all (overview, messages, annex and glossary), peak memory under 600 MB. Then 100,000 events must
complete with the same bounded memory.

Each render runs in its own process; memory is the peak of the sum of the resident memory of that
process and its children (and the peak of the largest one), sampled every 50 ms. The machine may
be shared, so our 20,000-event render runs three times and the median is compared.

    python -m tests.bench report                        # the whole benchmark
    REPORT_BENCH_SIZES=2000 python -m tests.bench report  # a quick look (targets not judged)
"""

import html
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SPEEDUP_TARGET = 10.0
RUNS = 3
MEMORY_TARGET_MB = 600
PAGES_TARGET = 500
BOUNDED_TARGET_MB = 600
SIZES = [int(n) for n in os.environ.get("REPORT_BENCH_SIZES", "20000,100000").split(",")]

NAMES = [
    "Spring newsletter — week {n}",
    "Your order #{n} has shipped",
    "Ελένη, offers for you ({n})",
    "Новинки недели {n}",
    "आपके लिए खास ऑफर {n}",
    "<b>Flash sale</b> {n} & more",
    "週末セール {n} 🎉",
    "عرض خاص {n} 👍🏽",
]


def make_bench_case(count: int):
    """A collected case with `count` events over a year, both channels, some unknown fields."""
    from cases.models import ActivityEvent
    from cases.services import case_change_status
    from tests.factories import make_account, make_case, make_window

    rng = random.Random(count)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    case = make_case(
        primary_keys=[f"bench{count}@example.com"],
        channels=["email", "sms"],
        search_from=start.date(),
        search_to=start.date() + timedelta(days=364),
    )
    account = make_account()
    windows = {
        channel: make_window(case, account=account, channel=channel) for channel in case.channels
    }
    batch = []
    sent_at = start
    for i in range(count):
        # Five events a message, as Netcore's: one channel and one name per message ID, the
        # events within hours of its sending, which is anywhere in the year.
        message = i // 5
        channel = "email" if message % 4 else "sms"
        activity = rng.choice(["sent", "delivered", "open", "click", "open", "sent"])
        if i % 5 == 0:
            sent_at = start + timedelta(minutes=rng.randrange(365 * 24 * 60 - 600))
        occurred = sent_at + timedelta(minutes=(i % 5) * rng.randrange(0, 120))
        name = NAMES[message % len(NAMES)].format(n=message % 97)
        raw = {
            "activity": activity,
            "message_id": str(4_000_000 + message),
            "msg_name": name,
            "activity_date": occurred.strftime("%d %b %Y @%I:%M%p"),
        }
        fields = {}
        if activity in ("open", "click"):
            fields = {
                "ip": f"203.0.113.{i % 250}",
                "device": rng.choice(["mobile", "desktop", "tablet"]),
                "os": rng.choice(["Android 14", "iOS 17.5", "Windows 11", "macOS 14"]),
                "browser": rng.choice(["Chrome 126", "Safari 17", "Firefox 127"]),
            }
            if activity == "click":
                fields["link"] = f"https://shop.example.com/offers/{i % 300}?utm_source=nc&id={i}"
        raw.update(fields)
        if i % 10 == 0:
            raw["campaign_tag"] = f"cmp-{i % 13}"
        if i % 97 == 0:
            raw.update(activity="bounce", bounce_type="soft")
            activity = "bounce"
        batch.append(
            ActivityEvent(
                case=case,
                window=windows[channel],
                position=i,
                channel=channel,
                activity=activity,
                occurred_at=occurred,
                activity_date_raw=raw["activity_date"],
                message_id=raw["message_id"],
                message_name=name,
                raw=raw,
                **fields,
            )
        )
        if len(batch) == 5000:
            ActivityEvent.objects.bulk_create(batch)
            batch = []
    ActivityEvent.objects.bulk_create(batch)
    case_change_status(case=case, actor=None, status="collecting")
    case_change_status(case=case, actor=None, status="collected")
    return case


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run `command`; return seconds, the peak of the summed RSS of its process tree (MB), the
    peak RSS of its largest single process (MB), and its output (RSS sampled every 50 ms)."""
    # Output to a file, not a pipe: a chatty child must never block on a full pipe.
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        peak = largest = 0
        while process.poll() is None:
            sizes = tree_rss_kb(process.pid)
            peak, largest = max(peak, sum(sizes)), max([largest, *sizes])
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    if process.returncode:
        raise RuntimeError(f"{command} failed:\n{output[-3000:]}")
    return seconds, peak / 1024, largest / 1024, output


def tree_rss_kb(pid: int) -> list[int]:
    """Resident memory (kB) of `pid` and of each of its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    sizes, stack = [], [pid]
    while stack:
        current = stack.pop()
        sizes.append(rss.get(current, 0))
        stack.extend(children.get(current, []))
    return sizes


def subprocess_env() -> dict[str, str]:
    from tests.celery_workers import test_database_url

    return {**os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}


def ours(case, out: Path) -> tuple[float, float, float, str]:
    return measure(
        [
            sys.executable,
            "manage.py",
            "render_report",
            case.reference,
            "--output",
            str(out),
        ],
        subprocess_env(),
    )


def naive(case, out: Path) -> tuple[float, float, float, str]:
    return measure(
        [sys.executable, "-m", "tests.bench.report", "naive", case.reference, str(out)],
        subprocess_env(),
    )


def naive_render(reference: str, out: str) -> None:
    """The baseline: one table of every event, WeasyPrint's default settings (run in a child)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar_portal.settings")
    import django

    django.setup()
    from weasyprint import HTML

    from cases.models import ActivityEvent

    columns = [
        "channel",
        "occurred_at",
        "activity_date_raw",
        "activity",
        "message_id",
        "message_name",
        "ip",
        "device",
        "os",
        "browser",
        "link",
        "raw",
    ]
    rows = []
    events = ActivityEvent.objects.filter(case__reference=reference).order_by("occurred_at", "id")
    for event in events.iterator(chunk_size=2000):
        cells = "".join(f"<td>{html.escape(str(getattr(event, c)))}</td>" for c in columns)
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{c}</th>" for c in columns)
    document = f"<html><body><table><tr>{head}</tr>{''.join(rows)}</table></body></html>"
    HTML(string=document).write_pdf(out)


def run() -> bool:
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp_dir = Path(tmp)
        for count in SIZES:
            started = time.perf_counter()
            case = make_bench_case(count)
            print(f"{count:,} events stored in {time.perf_counter() - started:.1f} s", flush=True)
            # The machine may be shared: our render runs RUNS times and the median counts.
            runs = []
            for _ in range(RUNS if count == 20_000 else 1):
                seconds, peak, largest, output = ours(case, tmp_dir / f"ours-{count}.pdf")
                pages = next(
                    (line.split()[1] for line in output.splitlines() if line.startswith("pages ")),
                    "?",
                )
                print(
                    f"ours   {count:>7,} events: {seconds:7.1f} s, {pages} pages, peak memory "
                    f"{peak:6.0f} MB (all processes; largest one {largest:.0f} MB); "
                    f"load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                runs.append((seconds, peak, int(pages) if pages.isdigit() else 0))
            seconds = statistics.median(s for s, _, _ in runs)
            peak = max(p for _, p, _ in runs)
            pages = runs[0][2]
            if count == 20_000 or len(SIZES) == 1:
                base_s, base_peak, _base_largest, _ = naive(case, tmp_dir / f"naive-{count}.pdf")
                speedup = base_s / seconds
                print(
                    f"naive  {count:>7,} events: {base_s:7.1f} s, peak memory {base_peak:6.0f} MB; "
                    f"load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                judged = count == 20_000
                met = (
                    speedup >= SPEEDUP_TARGET
                    and peak < MEMORY_TARGET_MB
                    and 0 < pages <= PAGES_TARGET
                )
                print(
                    f"speed-up {speedup:.1f}× against our median of {seconds:.1f} s "
                    f"(target ≥ {SPEEDUP_TARGET:.0f}×), memory "
                    f"{peak:.0f} MB (target < {MEMORY_TARGET_MB} MB), {pages} pages "
                    f"(target ≤ {PAGES_TARGET}): "
                    + (("met" if met else "MISSED") if judged else "not judged at this size"),
                    flush=True,
                )
                ok &= met or not judged
            elif count == 100_000:
                met = peak < BOUNDED_TARGET_MB
                print(
                    f"100,000 events completed; memory {peak:.0f} MB "
                    f"(bound {BOUNDED_TARGET_MB} MB): " + ("met" if met else "MISSED"),
                    flush=True,
                )
                ok &= met
    return ok


if __name__ == "__main__" and sys.argv[1:2] == ["naive"]:
    naive_render(sys.argv[2], sys.argv[3])
