import type { AuditResult } from './audit.js';
import { auditToJson } from './render-audit.js';

/*
 * The audit as one self-contained HTML file: the JSON (version 1) inside,
 * a table of every listed cell, and filters by role, table, command and
 * access, all in inline script and style, so the file opens from disk with
 * no network. The data is embedded as JSON in a <script type=
 * "application/json"> element with `<` escaped, so no name or predicate can
 * close it; cells are written with textContent, never as markup.
 */

export function auditToHtml(result: AuditResult): string {
  const data = JSON.stringify(auditToJson(result)).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const title = `Effective access: ${result.database}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d1d1f; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  .meta { color: #555; margin-bottom: 1em; }
  .filters { display: flex; flex-wrap: wrap; gap: .8em; margin-bottom: 1em; align-items: end; }
  .filters label { display: flex; flex-direction: column; font-size: .85em; color: #444; }
  select, input { font: inherit; padding: .2em .3em; min-width: 10em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f4f4f6; position: sticky; top: 0; }
  td.sql { font-family: ui-monospace, monospace; font-size: .9em; white-space: pre-wrap; word-break: break-word; }
  .all { color: #a4161a; font-weight: 600; } .filtered { color: #8a5300; } .none { color: #2b6a2b; } .denied { color: #666; }
  #count { color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="meta" id="meta"></div>
<div class="filters">
  <label>Role <select id="role"><option value="">every role</option></select></label>
  <label>Table <select id="table"><option value="">every table</option></select></label>
  <label>Command <select id="command"><option value="">every command</option></select></label>
  <label>Access <select id="access"><option value="">any access</option><option value="all">all rows</option><option value="filtered">rows (filtered)</option><option value="none">no rows</option><option value="denied">denied</option></select></label>
  <label>Text <input id="text" type="search" placeholder="predicate, policy, column"></label>
  <span id="count"></span>
</div>
<table>
  <thead><tr><th>Role</th><th>Table</th><th>Command</th><th>Access</th><th>Why / rows where</th><th>Policies</th></tr></thead>
  <tbody id="cells"></tbody>
</table>
<script type="application/json" id="audit-data">${data}</script>
<script>
(function () {
  var audit = JSON.parse(document.getElementById('audit-data').textContent);
  var cells = audit.access;
  var byId = function (id) { return document.getElementById(id); };
  var supers = audit.roles.filter(function (r) { return r.superuser; }).map(function (r) { return r.name; });
  byId('meta').textContent = 'Database ' + audit.database + ', schemas ' + audit.schemas.join(', ') + '. ' + cells.length + ' cells that are not plainly denied (every other role, table and command is).' +
    (supers.length ? ' Superusers, who may do everything on every row: ' + supers.join(', ') + '.' : '');
  var words = { superuser: 'superuser', bypassrls: 'BYPASSRLS', owner: 'owner', 'rls-disabled': 'RLS off', 'not-a-table': 'no RLS on views', truncate: 'TRUNCATE ignores RLS' };
  function unique(key) { return cells.map(function (c) { return key(c); }).filter(function (v, i, all) { return all.indexOf(v) === i; }).sort(); }
  function fill(id, values) { var s = byId(id); values.forEach(function (v) { var o = document.createElement('option'); o.value = v; o.textContent = v === 'public' ? 'PUBLIC' : v; s.appendChild(o); }); }
  fill('role', unique(function (c) { return c.role; }));
  fill('table', unique(function (c) { return c.schema + '.' + c.table; }));
  fill('command', ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
  function why(c) {
    if (c.access === 'denied') return c.denied === 'no-schema-usage' ? 'privilege held, but no USAGE on the schema' : 'no privilege';
    if (c.access === 'all') return 'every row (' + words[c.bypass] + ')';
    if (c.access === 'none') return 'row security applies and no permissive policy does';
    return [c.using !== null ? 'rows where ' + c.using : null, c.withCheck !== null ? 'new rows must satisfy ' + c.withCheck : null].filter(Boolean).join('\\n');
  }
  function render() {
    var role = byId('role').value, table = byId('table').value, command = byId('command').value, access = byId('access').value, text = byId('text').value.toLowerCase();
    var body = byId('cells');
    body.textContent = '';
    var shown = 0;
    cells.forEach(function (c) {
      if (role && c.role !== role) return;
      if (table && c.schema + '.' + c.table !== table) return;
      if (command && c.command !== command) return;
      if (access && c.access !== access) return;
      var reason = why(c) + (c.columns ? '\\ncolumns: ' + c.columns.join(', ') : '');
      if (text && (reason + ' ' + c.policies.join(' ')).toLowerCase().indexOf(text) < 0) return;
      var tr = document.createElement('tr');
      tr.setAttribute('data-role', c.role);
      [c.role === 'public' ? 'PUBLIC' : c.role, c.schema + '.' + c.table, c.command, c.access === 'filtered' ? 'rows' : c.access === 'none' ? 'no rows' : c.access, reason, c.policies.join(', ')].forEach(function (value, i) {
        var td = document.createElement('td');
        td.textContent = value;
        if (i === 3) td.className = c.access;
        if (i === 4) td.className = 'sql';
        tr.appendChild(td);
      });
      body.appendChild(tr);
      shown++;
    });
    byId('count').textContent = shown + ' of ' + cells.length + ' shown';
  }
  ['role', 'table', 'command', 'access'].forEach(function (id) { byId(id).addEventListener('change', render); });
  byId('text').addEventListener('input', render);
  render();
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
