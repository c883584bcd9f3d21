"""Plain-text and Markdown tables of workload results."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.core import Row, WorkloadResult

__all__ = ["format_bytes", "format_ratio", "format_seconds", "markdown", "text"]


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(r: float) -> str:
    if r < 10:
        return f"{r:.2f}"
    if r < 100:
        return f"{r:.1f}"
    return f"{r:.0f}"


def format_bytes(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def _status(row: Row) -> str:
    label = {
        "ok": "ok",
        "baseline": "baseline",
        "unit": "unit of cost (not checked)",
        "skipped": "skipped",
        "error": "ERROR",
        "mismatch": "MISMATCH",
    }[row.status]
    return f"{label}: {row.message}" if row.message else label


def _cells(result: WorkloadResult, row: Row) -> list[str]:
    w = result.workload
    cells = [row.name]
    if w.kind == "memory":
        cells.append(format_bytes(row.peak_bytes) if row.peak_bytes is not None else "-")
    elif row.timing is not None:
        t = row.timing
        cells += [format_seconds(t.median), format_seconds(t.min), format_seconds(t.max)]
    else:
        cells += ["-", "-", "-"]
    cells.append(format_ratio(row.ratio) if row.ratio is not None else "-")
    if w.extra is not None:
        cells.append(row.extra or "-")
    cells.append(_status(row))
    return cells


def _header(result: WorkloadResult) -> list[str]:
    w = result.workload
    cols = ["implementation"]
    cols += ["peak"] if w.kind == "memory" else ["median", "min", "max"]
    cols.append(f"× {w.baseline}")
    if w.extra is not None:
        cols.append(w.extra.label)
    cols.append("status")
    return cols


def text(results: Sequence[WorkloadResult], *, status_width: int = 90) -> str:
    """Aligned plain-text tables, one block per workload."""
    blocks: list[str] = []
    for result in results:
        w = result.workload
        lines = [f"== {w.name}  [{w.family}]  {w.description}"]
        if result.error:
            lines.append(f"   ERROR: {result.error}")
            blocks.append("\n".join(lines))
            continue
        header = _header(result)
        body = [_cells(result, row) for row in result.rows]
        for cells in body:
            if len(cells[-1]) > status_width:
                cells[-1] = cells[-1][: status_width - 1] + "…"
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header) - 1)]
        for cells in [header, *body]:
            parts = [cells[0].ljust(widths[0])]
            parts += [c.rjust(wd) for c, wd in zip(cells[1:-1], widths[1:], strict=True)]
            parts.append(cells[-1])
            lines.append("   " + "  ".join(parts))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def markdown(results: Sequence[WorkloadResult]) -> str:
    """One Markdown section and table per workload."""
    blocks: list[str] = []
    for result in results:
        w = result.workload
        lines = [f"### `{w.name}`", "", _md_escape(w.description), ""]
        if result.error:
            lines.append(f"ERROR: {_md_escape(result.error)}")
            blocks.append("\n".join(lines))
            continue
        header = _header(result)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * (len(header) - 2) + [":---"]) + "|")
        for row in result.rows:
            lines.append("| " + " | ".join(_md_escape(c) for c in _cells(result, row)) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
