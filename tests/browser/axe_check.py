"""axe-core (vendored in tests/browser/axe/, see its README) run in the page under test."""

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "axe.min.js"

_RUN = """async () => {
  const result = await axe.run(document);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """axe's violations on the page as it is now (the page's context must bypass the CSP so the
    script can be added: Playwright's `bypass_csp=True`)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(_RUN)


def overflows_sideways(page) -> bool:
    """True when the page is wider than the window (a table pushing the page sideways)."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
