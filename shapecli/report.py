"""Trace → one self-contained HTML report; a folder's check → one overview page.

A report is a single file that works offline and from file:// — no network, no
CDN, no external font or script: the style, the script and the graph (an inline
SVG from `draw.svg`) are in the page. It holds the summary, the conditions on
the input symbols, the diagnostics with their code frames, the graph, any extra
sections a caller passes (`Section`: the memory section goes there), the layers
grouped by block use and repeat group (groups fold and unfold; a click on a
graph node scrolls to its row), and the parameters before inference. Light and
dark follow prefers-color-scheme; printing unfolds everything.

Every piece of text from a spec goes through `render.escape.markup`. No arithmetic here:
counts come from the Trace and `hierarchy.group_totals`.
"""

from __future__ import annotations

from .records import NamedTuple
from . import __version__
from .conventions import CONVENTIONS
from .diagram import build_diagram
from .dims import format_shape
from .errors import Diagnostic
from .render.escape import markup, markup_lines
from .hierarchy import LAYER, REPEAT, Row, build_hierarchy, group_totals
from .kinds import is_warning
from .render import render_diagnostic
from .render.grid import byte_size as format_bytes
from .render.grid import count as format_count
from .render.grid import scaled


class Section(NamedTuple):
    """An extra section of a report: `id` (letters, digits, '-'), a title, and its body as HTML
    (escaped by whoever made it). Extra sections go after the graph, before the layers."""

    id: str
    title: str
    html: str


EXTRA_SECTIONS_MARK = "<!-- shapecli:extra-sections -->"
"""Where a report puts the extra sections (the memory section among them)."""


# -- pages ---------------------------------------------------------------------------------


def inspect_report(
    model,
    trace,
    text: str | None,
    evaluations=(),
    extra_sections: list[Section] = (),
    depth: int | None = None,
    expand: bool = False,
) -> str:
    """The HTML document of an inspection; the graph folds as `shapecli graph --depth/--expand`."""
    body = report_body("", model, trace, text, evaluations, extra_sections, depth, expand)
    return _page(f"shapecli · {trace.file}", body)


def failure_report(file: str | None, text: str | None, diagnostics: list[Diagnostic]) -> str:
    """The HTML document when the spec or its inputs could not be used: the diagnostics alone."""
    return _page(f"shapecli · {file or 'spec'}", failure_body("", file, text, diagnostics))


def check_report(results) -> str:
    """The HTML overview of `shapecli check`: a row per spec (status, counts, totals) linking to
    that spec's report, embedded below it. `results` are `check.FileResult`s."""
    rows, reports = [], []
    for index, result in enumerate(results):
        prefix = f"s{index}-"
        trace = result.trace
        if result.skipped:
            status, css = "skip (not a spec)", "warn"
        elif not result.passed(False):
            status, css = "FAIL", "fail"
        elif result.warnings:
            status, css = ("not inferred", "warn") if trace is None else ("ok", "ok")
        else:
            status, css = "ok", "ok"
        unknown = CONVENTIONS[trace.convention].unknown if trace else "?"
        params = format_count(trace.totals.params, unknown) if trace else "–"
        macs = scaled(trace.totals.macs) if trace else "–"
        rows.append(
            f'<tr class="{css}"><td><a href="#{prefix}report">{markup(result.file)}</a></td>'
            f'<td><span class="badge {css}">{status}</span></td><td class="num">{len(result.errors)}</td>'
            f'<td class="num">{len(result.warnings)}</td><td class="num">{params}</td><td class="num">{macs}</td></tr>'
        )
        if trace is not None:
            body = report_body(prefix, result.model, trace, result.text)
        else:
            body = failure_body(prefix, result.file, result.text, [*result.errors, *result.warnings])
        reports.append(
            f'<details class="spec" id="{prefix}report"><summary>{markup(result.file)} '
            f'<span class="badge {css}">{status}</span></summary>{body}</details>'
        )
    failed = sum(not r.passed(False) for r in results)
    head = (
        f'<header><h1>shapecli check</h1><p class="meta">{len(results)} spec{"s" if len(results) != 1 else ""}: '
        f"{len(results) - failed} ok, {failed} failed</p></header>"
    )
    table = (
        '<section id="overview"><h2>Specs</h2><table class="overview"><thead><tr><th>Spec</th><th>Status</th>'
        '<th class="num">Errors</th><th class="num">Warnings</th><th class="num">Params</th>'
        '<th class="num">MACs</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>"
    )
    return _page(
        "shapecli check", head + table + '<section id="reports"><h2>Reports</h2>' + "".join(reports) + "</section>"
    )


# -- one spec ------------------------------------------------------------------------------


def report_body(
    prefix: str,
    model,
    trace,
    text: str | None,
    evaluations=(),
    extra_sections: list[Section] = (),
    depth: int | None = None,
    expand: bool = False,
) -> str:
    """The report of one spec as an `<article>`; ids start with `prefix` (several can share a page)."""
    from .draw.svg import TooLarge, render_svg

    unknown = CONVENTIONS[trace.convention].unknown
    errors = len(trace.errors)
    badge = (
        '<span class="badge ok">fits</span>'
        if not errors
        else f'<span class="badge fail">{_plural(errors, "error")}</span>'
    )
    inputs = ", ".join(f"{markup(name)} {markup(format_shape(shape, unknown))}" for name, shape in trace.inputs.items())
    parts = [
        f'<article class="spec-report" id="{prefix}article">',
        f'<header><h1>shapecli · {markup(trace.file)}</h1><p class="meta">{markup(trace.convention)} convention'
        f" · input {inputs} · {badge}</p></header>",
        _toc(prefix, trace, evaluations, extra_sections),
        _summary(prefix, trace, unknown),
    ]
    if trace.requires or evaluations:
        parts.append(_conditions(prefix, trace, evaluations, unknown))
    diagnostics = [*trace.errors, *trace.warnings]
    if diagnostics:
        parts.append(_diagnostics(prefix, diagnostics, text, {layer.path for layer in trace.layers}))
    try:
        svg = render_svg(build_diagram(model, trace, depth, expand), prefix + "g-")
        graph = f'<div class="graph-scroll">{svg}</div>'
    except TooLarge as e:
        graph = f'<p class="note">{markup(str(e))}; see the layers below.</p>'
    parts.append(
        f'<section id="{prefix}graph"><h2>Graph</h2><p class="hint">Click a node to go to its row. '
        f"Repeats are folded into one node ×N; the table below has every copy.</p>{graph}</section>"
    )
    parts.append(EXTRA_SECTIONS_MARK)
    for section in extra_sections:
        parts.append(
            f'<section id="{prefix}{markup(section.id)}" class="extra"><h2>{markup(section.title)}</h2>'
            f"{section.html}</section>"
        )
    parts.append(_layers(prefix, model, trace, unknown))
    parts.append(_before(prefix, trace, unknown))
    parts.append("</article>")
    return "\n".join(parts)


def failure_body(prefix: str, file: str | None, text: str | None, diagnostics: list[Diagnostic]) -> str:
    """The report of a spec that could not be inspected: its diagnostics."""
    errors = sum(not is_warning(d.kind) for d in diagnostics)
    badge = f'<span class="badge fail">{_plural(errors, "error")}</span>' if errors else ""
    return (
        f'<article class="spec-report" id="{prefix}article"><header><h1>shapecli · {markup(file or "spec")}</h1>'
        f'<p class="meta">not inspected {badge}</p></header>'
        + _diagnostics(prefix, diagnostics, text, set())
        + "</article>"
    )


def _toc(prefix: str, trace, evaluations, extra_sections) -> str:
    links = [("summary", "Summary")]
    if trace.requires or evaluations:
        links.append(("conditions", "Conditions"))
    if trace.errors or trace.warnings:
        links.append(("diagnostics", "Diagnostics"))
    links.append(("graph", "Graph"))
    links += [(markup(s.id), markup(s.title)) for s in extra_sections]
    links += [("layers", "Layers"), ("before", "Parameters before inference")]
    return '<nav class="toc">' + " · ".join(f'<a href="#{prefix}{i}">{t}</a>' for i, t in links) + "</nav>"


def _summary(prefix: str, trace, unknown: str) -> str:
    totals = trace.totals
    rows = [
        ("Total params", format_count(totals.params, unknown)),
        ("Trainable params", format_count(totals.trainable, unknown)),
        ("Non-trainable params", format_count(totals.non_trainable, unknown)),
        (f"Param memory ({totals.dtype})", format_bytes(totals.bytes)),
        ("MACs", scaled(totals.macs)),
    ]
    rows += [(f"Input {name}", format_shape(shape, unknown)) for name, shape in trace.inputs.items()]
    rows += [
        (f"Output {name}", format_shape(shape, unknown) if shape is not None else "–")
        for name, shape in trace.outputs.items()
    ]
    body = "".join(f"<tr><th>{markup(k)}</th><td>{markup(v)}</td></tr>" for k, v in rows)
    return f'<section id="{prefix}summary"><h2>Summary</h2><table class="summary">{body}</table></section>'


def _conditions(prefix: str, trace, evaluations, unknown: str) -> str:
    parts = [f'<section id="{prefix}conditions"><h2>Valid inputs require</h2>']
    if trace.requires:
        rows = []
        for requirement in trace.requires:
            layers = ", ".join(markup(o) for o in requirement.origins)
            rows.append(f"<tr><td><code>{markup(requirement.text)}</code></td><td>{layers}</td></tr>")
        parts.append(
            '<table class="conditions"><thead><tr><th>Condition</th><th>Needed by</th></tr></thead><tbody>'
            + "".join(rows)
            + "</tbody></table>"
        )
    else:
        parts.append("<p>No condition: the shapes fit for every size of the symbols.</p>")
    if evaluations:
        rows = []
        for e in evaluations:
            values = ", ".join(f"{k}={v}" for k, v in e.bindings.items())
            if e.violated:
                verdict = '<span class="badge fail">violates</span> ' + markup("; ".join(r.text for r in e.violated))
            elif e.undecided:
                verdict = '<span class="badge warn">undecided</span> ' + markup("; ".join(r.text for r in e.undecided))
            else:
                verdict = '<span class="badge ok">ok</span>'
            outputs = "<br>".join(
                markup(f"{n} {format_shape(s, unknown) if s is not None else '–'}") for n, s in e.outputs.items()
            )
            rows.append(f"<tr><td><code>{markup(values)}</code></td><td>{verdict}</td><td>{outputs}</td></tr>")
        parts.append(
            "<h3>Evaluated (--where)</h3><table><thead><tr><th>Values</th><th>Verdict</th><th>Outputs</th></tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    parts.append("</section>")
    return "".join(parts)


def _diagnostics(prefix: str, diagnostics: list[Diagnostic], text: str | None, layer_paths: set) -> str:
    parts = [f'<section id="{prefix}diagnostics"><h2>Diagnostics</h2>']
    for index, d in enumerate(diagnostics):
        severity = "warning" if is_warning(d.kind) else "error"
        lines = render_diagnostic(d, text).plain.split("\n")
        head, rest = markup(lines[0]), markup_lines("\n".join(lines[1:]))
        link = ""
        if d.path and d.path in layer_paths:
            link = f' <a class="to-row" href="#" data-path="{markup(d.path)}">show the layer</a>'
        parts.append(
            f'<div class="diagnostic {severity}" id="{prefix}diag-{index}"><pre><span class="head">{head}</span>'
            f"{link}\n{rest}</pre></div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _layers(prefix: str, model, trace, unknown: str) -> str:
    hierarchy = build_hierarchy(model)
    ids: dict[int, str] = {}
    parents: list[str] = []
    rows = []
    for row in hierarchy.walk():
        del parents[row.level :]
        group = row.group
        if group.kind == LAYER:
            rows.append(_layer_row(prefix, model, trace, row, parents, unknown))
            continue
        group_id = f"{prefix}grp-{len(ids)}"
        ids[id(group)] = group_id
        totals = group_totals(group, trace)
        label = markup(group.label)
        name = markup(group.name)
        if group.kind == REPEAT:
            name += f" ×{group.count}"
            each = format_count(totals.per_copy_params, unknown) if totals.per_copy_params is not None else None
            label += f" ×{group.count}" + (f" ({markup(each)} params each)" if each else "")
        state = f" {totals.state}" if totals.state != "ok" else ""
        rows.append(
            f'<tr class="group{state}" id="{group_id}" data-path="{markup(group.path)}" data-open="true"'
            f'{_parents_attr(parents)}><td class="name" style="--level:{row.level}" title="{markup(group.path)}">'
            f'<button class="toggle" type="button" aria-expanded="true" aria-label="fold {name}"></button>{name}</td>'
            f'<td>{label}</td><td colspan="3" class="muted">{_plural(totals.layers, "layer")}</td>'
            f'<td class="num">{markup(format_count(totals.params, unknown))}</td>'
            f'<td class="num">{markup(format_count(totals.macs, unknown))}</td></tr>'
        )
        parents.append(group_id)
    return (
        f'<section id="{prefix}layers"><h2>Layers</h2><p class="tools"><button type="button" data-action="fold">'
        'Fold all</button> <button type="button" data-action="unfold">Unfold all</button></p>'
        '<div class="table-scroll"><table class="layers"><thead><tr><th>Layer</th><th>Type</th><th>Input</th>'
        '<th>Output</th><th>Parameters</th><th class="num">Params</th><th class="num">MACs</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div></section>"
    )


def _parents_attr(parents: list[str]) -> str:
    return f' data-parents="{" ".join(parents)}"' if parents else ""


def _layer_row(prefix: str, model, trace, row: Row, parents: list[str], unknown: str) -> str:
    node = row.group.node
    layer = trace.layers[node]
    inputs = "<br>".join(markup(format_shape(s, unknown)) for s in layer.input_shapes or ()) or "–"
    if layer.state == "error":
        output = '<span class="badge fail">mismatch</span>'
    elif layer.state == "skipped":
        output = '<span class="muted">skipped</span>'
    elif layer.output_shapes:
        output = "<br>".join(markup(f"{n} {format_shape(s, unknown)}") for n, s in layer.output_shapes.items())
    else:
        output = markup(format_shape(layer.output_shape, unknown))
    params = "<br>".join(
        markup(
            f"{p.local + ' ' if p.local else ''}{format_shape(p.after, unknown) if p.after is not None else '–'}"
            + (" (shared)" if p.shared_with else " (buffer)" if p.buffer else "")
        )
        for p in layer.params
    )
    ok = layer.state == "ok"
    count = markup(format_count(layer.count, unknown)) if ok else "–"
    macs = markup(format_count(layer.macs, unknown)) if ok else "–"
    return (
        f'<tr class="layer {layer.state}" id="{prefix}row-{node}" data-path="{markup(layer.path)}"'
        f'{_parents_attr(parents)}><td class="name" style="--level:{row.level}" title="{markup(layer.path)}">'
        f"{markup(row.group.name)}</td><td>{markup(layer.type)}</td><td>{inputs}</td><td>{output}</td>"
        f'<td>{params}</td><td class="num">{count}</td><td class="num">{macs}</td></tr>'
    )


def _before(prefix: str, trace, unknown: str) -> str:
    rows = []
    for layer in trace.layers:
        for param in layer.params:
            status = layer.before_status
            if param.shared_with:
                status = f"shared with {param.shared_with}"
            elif param.buffer:
                status += " (buffer)"
            rows.append(
                f"<tr><td>{markup(param.name)}</td><td>{markup(format_shape(param.before, unknown))}</td>"
                f"<td>{markup(status)}</td></tr>"
            )
    if not rows:
        rows.append('<tr><td colspan="3" class="muted">no parameters</td></tr>')
    return (
        f'<section id="{prefix}before"><h2>Parameters before inference</h2><div class="table-scroll">'
        '<table class="before"><thead><tr><th>Parameter</th><th>Shape</th><th>Status</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div></section>"
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# -- the page ------------------------------------------------------------------------------


_CSS = """
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--head:#f6f8fa;
--accent:#0969da;--ok:#1a7f37;--ok-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--flash:#fff8c5;--group:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--head:#151b23;
--accent:#4493f8;--ok:#3fb950;--ok-bg:#12261e;--fail:#ff7b72;--fail-bg:#3d1214;--warn:#d29922;--warn-bg:#2e2a14;
--flash:#3a3413;--group:#151b23}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif}
main{max-width:1400px;margin:0 auto;padding:16px 24px 64px}
h1{font-size:22px;margin:8px 0 4px;word-break:break-all}h2{font-size:18px;margin:28px 0 8px;
border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
a{color:var(--accent)}
.meta,.hint,.muted,.note{color:var(--muted)}.hint{margin:4px 0 8px;font-size:13px}
.toc{font-size:13px;margin:6px 0 0}
code,pre,td{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
table{border-collapse:collapse;margin:4px 0}
th,td{text-align:left;vertical-align:top;padding:3px 10px;border-bottom:1px solid var(--line)}
thead th{background:var(--head);position:sticky;top:0;font-family:system-ui,sans-serif;font-size:13px}
th{font-weight:600}.num{text-align:right;white-space:nowrap}
table.summary th{font-family:system-ui,sans-serif;font-size:13.5px}
.table-scroll{overflow-x:auto}
td.name{padding-left:calc(var(--level,0) * 1.4em + 10px)}
table.layers td,table.before td,table.conditions td:first-child{white-space:nowrap}
tr.group td{background:var(--group);font-weight:600}
tr.group.error td.name,tr.layer.error td.name{color:var(--fail)}
tr.layer.skipped td{color:var(--muted)}
tr.flash td{background:var(--flash)!important;transition:background .3s}
button.toggle{border:0;background:none;color:inherit;cursor:pointer;font:inherit;width:1.4em;padding:0;margin-left:-1.4em}
button.toggle::before{content:"▾"}tr.group[data-open=false] button.toggle::before{content:"▸"}
.tools button{font:inherit;font-size:12.5px;padding:2px 8px;border:1px solid var(--line);background:var(--head);
color:var(--fg);border-radius:4px;cursor:pointer}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;
font-family:system-ui,sans-serif}
.badge.ok{color:var(--ok);background:var(--ok-bg)}.badge.fail{color:var(--fail);background:var(--fail-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.diagnostic pre{margin:8px 0;padding:10px 12px;border-left:4px solid var(--fail);background:var(--head);
overflow-x:auto;white-space:pre}
.diagnostic.warning pre{border-left-color:var(--warn)}
.diagnostic .head{font-weight:700}.diagnostic.error .head{color:var(--fail)}
.diagnostic.warning .head{color:var(--warn)}
.graph-scroll{overflow:auto;max-height:85vh;border:1px solid var(--line);border-radius:6px}
.graph-scroll svg{display:block}
.shapecli-graph .node{cursor:pointer}
.shapecli-graph .node:focus{outline:none}.shapecli-graph .node:focus rect{stroke:var(--accent);stroke-width:2.5}
details.spec{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 12px}
details.spec>summary{cursor:pointer;font-weight:600;padding:4px 0}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--head:#f3f3f3;--group:#f3f3f3}
body{font-size:11px}main{max-width:none;padding:0}
.toc,.tools,.hint,button.toggle{display:none}
tr[hidden]{display:table-row!important}
.graph-scroll,.table-scroll{overflow:visible;max-height:none;border:0}
.graph-scroll svg{max-width:100%;height:auto}
thead th{position:static}
tr,.diagnostic{break-inside:avoid}
section{break-before:auto}h2{break-after:avoid}
}
"""

_SCRIPT = """
(function () {
  "use strict";
  function refresh(article) {
    var closed = {};
    article.querySelectorAll("tr.group[data-open=false]").forEach(function (row) { closed[row.id] = true; });
    article.querySelectorAll("tr[data-parents]").forEach(function (row) {
      row.hidden = row.getAttribute("data-parents").split(" ").some(function (id) { return closed[id]; });
    });
    article.querySelectorAll("tr.group").forEach(function (row) {
      row.querySelector("button.toggle").setAttribute("aria-expanded", row.getAttribute("data-open"));
    });
  }
  function reveal(row) {
    var article = row.closest(".spec-report");
    var details = row.closest("details");
    if (details) { details.open = true; }
    (row.getAttribute("data-parents") || "").split(" ").forEach(function (id) {
      var group = id && document.getElementById(id);
      if (group) { group.setAttribute("data-open", "true"); }
    });
    if (row.classList.contains("group")) { row.setAttribute("data-open", "true"); }
    refresh(article);
    row.scrollIntoView({block: "center"});
    row.classList.add("flash");
    setTimeout(function () { row.classList.remove("flash"); }, 1600);
  }
  function rowFor(element, path) {
    var article = element.closest(".spec-report");
    var rows = article ? article.querySelectorAll("tr[data-path]") : [];
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-path") === path) { return rows[i]; }
    }
    return null;
  }
  function activate(target) {
    var node = target.closest(".shapecli-graph .node");
    if (node) {
      var row = rowFor(node, node.getAttribute("data-anchor"));
      if (row) { reveal(row); }
      return true;
    }
    return false;
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (activate(target)) { return; }
    var toggle = target.closest("button.toggle");
    if (toggle) {
      var group = toggle.closest("tr.group");
      group.setAttribute("data-open", group.getAttribute("data-open") === "true" ? "false" : "true");
      refresh(group.closest(".spec-report"));
      return;
    }
    var action = target.closest("button[data-action]");
    if (action) {
      var article = action.closest(".spec-report");
      var open = action.getAttribute("data-action") === "unfold" ? "true" : "false";
      article.querySelectorAll("tr.group").forEach(function (row) { row.setAttribute("data-open", open); });
      refresh(article);
      return;
    }
    var link = target.closest("a.to-row");
    if (link) {
      event.preventDefault();
      var found = rowFor(link, link.getAttribute("data-path"));
      if (found) { reveal(found); }
    }
  });
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Enter" || event.key === " ") && event.target instanceof Element && activate(event.target)) {
      event.preventDefault();
    }
  });
  function openHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openHash);
  openHash();
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="shapecli {__version__}">\n'
        f"<title>{markup(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
