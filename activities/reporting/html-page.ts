/**
 * The self-contained HTML page both documents use (the progress page and the final report): one stylesheet, a CSP
 * that allows no script and no fetch, escaping, and tables. Pure.
 */

/** A table of rows of plain text cells (escaped when rendered). */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Text for HTML content or a quoted attribute. */
export function html(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Columns whose cells are numbers: right-aligned, tabular figures. */
const NUMERIC_HEADERS = ['#', 'Turn', 'Samples', 'Version'];

export function htmlTable(t: Table): string {
  const numeric = t.header.map((h) => NUMERIC_HEADERS.includes(h));
  const head = `<tr>${t.header.map((h) => `<th>${html(h)}</th>`).join('')}</tr>`;
  const rows = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${html(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table"><table><thead>${head}</thead><tbody>\n${rows}\n</tbody></table></div>`;
}

/** A whole page: `title` (escaped here), `body` (HTML already), refreshed every minute when `refresh`. */
export function htmlPage(title: string, body: readonly string[], refresh = false): string {
  const meta = refresh ? '\n<meta http-equiv="refresh" content="60">' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">${meta}
<title>${html(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}

const CSS = `
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#212529;background:#f8f9fa}
main{max-width:960px;margin:0 auto;padding:12px 16px 48px;background:#fff}
h1{font-size:1.4em;margin:.6em 0 .3em;overflow-wrap:anywhere}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #dee2e6}
.muted{color:#868e96}.status{margin:.2em 0}
.status-achieved strong{color:#2f9e44}.status-failed strong,.status-blocked strong,.status-stalled strong,.status-budget_exhausted strong{color:#c92a2a}
blockquote{margin:0;padding:.4em .8em;border-left:4px solid #4263eb;background:#f1f3f5;white-space:pre-wrap;overflow-wrap:anywhere}
.model-text{padding:.4em .8em;border-left:4px solid #adb5bd;background:#f8f9fa;white-space:pre-wrap;overflow-wrap:anywhere}
.table{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.9em;min-width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f1f3f5;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1em 0}figcaption{font-size:.85em;color:#868e96}
svg.chart{display:block;height:auto}
@media (max-width:600px){body{font-size:14px}main{padding:8px 10px 32px}svg.chart text{font-size:24px}svg.chart .ticks text{font-size:20px}td{max-width:70vw}}
ul{padding-left:1.2em}
`.trim();
