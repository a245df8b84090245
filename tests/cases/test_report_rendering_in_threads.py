"""Worker threads render reports side by side (`--pool threads`): each renderer keeps its own
fetcher, fonts and list of refused URLs, so one report's render never reads or clears another's."""

import threading

from cases.reports.document import STYLESHEETS
from cases.reports.rendering import Part, PartRenderer

REFUSED = "http://127.0.0.1:9/tracker.png"


def test_renderers_in_threads_keep_their_own_state():
    pages = {"with an image": f'<p>a</p><img src="{REFUSED}" alt="">', "plain": "<p>b</p>"}
    started = threading.Barrier(len(pages))
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def render(name: str, html: str) -> None:
        try:
            with PartRenderer(stylesheets=STYLESHEETS, processes=1) as renderer:
                started.wait(timeout=30)
                results[name] = [renderer.submit(Part(html)).result() for _ in range(4)]
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=render, args=item) for item in pages.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert [part.refused for part in results["with an image"]] == [[REFUSED]] * 4
    assert [part.refused for part in results["plain"]] == [[]] * 4
