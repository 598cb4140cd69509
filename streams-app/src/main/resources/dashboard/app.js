// The taskstate dashboard: plain JavaScript against the HTTP API, no libraries, nothing from the network.
'use strict';

const PAGE_SIZE = 25;
const POLL_MS = 3000;
const TOKEN_KEY = 'taskstate.token';
const STATUSES = ['pending', 'in_progress', 'completed', 'blocked'];
const PRIORITIES = ['critical', 'high', 'medium', 'low'];

const state = {
  cursors: [null],   // cursor of each page seen so far; the last is the current page's
  nextCursor: null,
  selected: null,    // id of the task shown in the detail
  pollTimer: null,
  events: null,
  refreshTimer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

class Unauthorized extends Error {}
class NotFound extends Error {}

// GET path as JSON; 401 opens the token prompt, 404 is a NotFound the caller may expect.
async function api(path) {
  const headers = { 'Accept': 'application/json' };
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const res = await fetch(path, { headers });
  if (res.status === 401 || res.status === 403) {
    const problem = await res.json().catch(() => ({}));
    askToken(problem.detail || ('HTTP ' + res.status));
    throw new Unauthorized(problem.detail);
  }
  if (res.status === 404) throw new NotFound(path);
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw new Error(problem.detail || ('HTTP ' + res.status + ' for ' + path));
  }
  return res.status === 204 ? null : res.json();
}

function askToken(why) {
  $('token-problem').textContent = token() ? why : '';
  $('token-dialog').hidden = false;
  $('token-input').focus();
}

function showError(e) {
  if (e instanceof Unauthorized) return;
  $('error').textContent = e.message;
  $('error').hidden = false;
}

function clearError() { $('error').hidden = true; }

function ago(iso) {
  if (!iso) return '';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return iso.replace('T', ' ').replace(/\..*Z$/, 'Z');
}

function taskLink(id) {
  if (id === null || id === undefined) return el('span', '');
  const a = el('a', '#' + id);
  a.dataset.taskId = id;
  a.addEventListener('click', (ev) => { ev.stopPropagation(); openTask(id); });
  return a;
}

// ---- counts

function fillCounts(tableId, order, counts) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const key of order) {
    const tr = el('tr');
    tr.append(el('th', key, tableId === 'counts-status' ? 'status-' + key : ''));
    const td = el('td', counts[key] === undefined ? 0 : counts[key]);
    td.id = tableId.replace('counts-', 'count-') + '-' + key;
    tr.append(td);
    body.append(tr);
  }
}

async function countBy(param, value) {
  // Without /api/v1/stats: page through the matching tasks (capped), enough for a small deployment.
  let n = 0, cursor = null, pages = 0;
  do {
    const q = new URLSearchParams({ [param]: value, limit: '1000' });
    if (cursor) q.set('cursor', cursor);
    const page = await api('/api/v1/tasks?' + q);
    n += page.tasks.length;
    cursor = page.next_cursor;
  } while (cursor && ++pages < 10);
  return cursor ? n + '+' : n;
}

async function loadCounts() {
  try {
    const stats = await api('/api/v1/stats');
    $('count-total').textContent = '(' + stats.total + ')';
    fillCounts('counts-status', STATUSES, stats.by_status || {});
    fillCounts('counts-priority', PRIORITIES, stats.by_priority || {});
    $('counts-note').textContent = stats.oldest_pending
      ? 'oldest pending: #' + stats.oldest_pending.id + ' ' + stats.oldest_pending.title + ' (' + ago(stats.oldest_pending.created_at) + ')'
      : '';
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
    const byStatus = {}, byPriority = {};
    for (const s of STATUSES) byStatus[s] = await countBy('status', s);
    for (const p of PRIORITIES) byPriority[p] = await countBy('priority', p);
    $('count-total').textContent = '';
    fillCounts('counts-status', STATUSES, byStatus);
    fillCounts('counts-priority', PRIORITIES, byPriority);
    $('counts-note').textContent = 'counted from task queries (this server has no /api/v1/stats)';
  }
}

// ---- instances

async function loadInstances() {
  const { instances } = await api('/api/v1/instances');
  for (const [tableId, active] of [['instances-active', true], ['instances-inactive', false]]) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    for (const i of instances.filter((x) => Boolean(x.active) === active)) {
      const tr = el('tr');
      tr.dataset.instanceId = i.instance_id;
      tr.append(el('td', i.instance_id), el('td', i.status));
      const cur = el('td');
      cur.append(taskLink(i.current_task_id));
      tr.append(cur, el('td', ago(i.last_heartbeat)));
      tr.title = 'last heartbeat ' + i.last_heartbeat + (i.working_directory ? '\nworking directory ' + i.working_directory : '');
      body.append(tr);
    }
    if (!body.rows.length) {
      const tr = el('tr');
      const td = el('td', 'none', 'muted');
      td.colSpan = 4;
      tr.append(td);
      body.append(tr);
    }
  }
}

// ---- task table

function filterQuery() {
  const q = new URLSearchParams();
  const pairs = [['status', 'filter-status'], ['priority', 'filter-priority'],
                 ['assignee', 'filter-assignee'], ['title_contains', 'filter-title']];
  for (const [param, id] of pairs) {
    const v = $(id).value.trim();
    if (v) q.set(param, v);
  }
  return q;
}

async function loadTasks() {
  const q = filterQuery();
  q.set('limit', String(PAGE_SIZE));
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) q.set('cursor', cursor);
  const page = await api('/api/v1/tasks?' + q);
  const body = $('tasks').tBodies[0];
  body.replaceChildren();
  for (const t of page.tasks) {
    const tr = el('tr');
    tr.dataset.taskId = t.id;
    if (t.id === state.selected) tr.classList.add('selected');
    tr.append(el('td', t.id), el('td', t.title, 'title'), el('td', t.status, 'status-' + t.status),
      el('td', t.priority), el('td', t.assignee || ''));
    const parent = el('td');
    parent.append(taskLink(t.parent_task_id));
    tr.append(parent, el('td', ago(t.updated_at)));
    tr.addEventListener('click', () => openTask(t.id));
    body.append(tr);
  }
  if (!page.tasks.length) {
    const tr = el('tr');
    const td = el('td', 'no tasks match', 'muted');
    td.colSpan = 7;
    tr.append(td);
    body.append(tr);
  }
  state.nextCursor = page.next_cursor;
  $('next-page').disabled = !page.next_cursor;
  $('prev-page').disabled = state.cursors.length <= 1;
  $('page-number').textContent = 'page ' + state.cursors.length;
}

function restartPaging() {
  state.cursors = [null];
  loadTasks().then(clearError, showError);
}

// ---- task detail

function field(dl, name, value) {
  if (value === null || value === undefined || value === '') return;
  dl.append(el('dt', name));
  const dd = el('dd');
  if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
  dl.append(dd);
}

function listOfTasks(ul, ids, tasks) {
  ul.replaceChildren();
  if (!ids.length) { ul.append(el('li', 'none', 'muted')); return; }
  for (const id of ids) {
    const li = el('li');
    li.append(taskLink(id));
    const t = tasks && tasks.find((x) => x.id === id);
    if (t) li.append(' ' + t.title + ' — ', el('span', t.status, 'status-' + t.status));
    ul.append(li);
  }
}

async function openTask(id) {
  state.selected = id;
  for (const tr of $('tasks').tBodies[0].rows) tr.classList.toggle('selected', Number(tr.dataset.taskId) === id);
  try {
    await loadDetail();
    clearError();
  } catch (e) { showError(e); }
}

async function loadDetail() {
  const id = state.selected;
  if (id === null) return;
  let t;
  try {
    t = await api('/api/v1/tasks/' + id);
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
    $('detail').hidden = false;
    $('detail-id').textContent = '#' + id;
    $('detail-title').textContent = '(deleted)';
    return;
  }
  $('detail').hidden = false;
  $('detail-id').textContent = '#' + t.id;
  $('detail-title').textContent = t.title;
  const dl = $('detail-fields');
  dl.replaceChildren();
  field(dl, 'status', el('span', t.status, 'status-' + t.status));
  field(dl, 'priority', t.priority);
  field(dl, 'assignee', t.assignee);
  field(dl, 'parent', t.parent_task_id ? taskLink(t.parent_task_id) : null);
  if (t.ready !== undefined) field(dl, 'ready', t.ready ? 'yes: every dependency is completed' : 'no: waiting for dependencies');
  field(dl, 'description', t.description);
  field(dl, 'status reason', t.status_reason);
  field(dl, 'lease expires', t.lease_expires_at);
  field(dl, 'created', t.created_at);
  field(dl, 'updated', t.updated_at);
  field(dl, 'completed', t.completed_at);
  if (t.metadata && Object.keys(t.metadata).length) field(dl, 'metadata', JSON.stringify(t.metadata, null, 2));

  let subtasks = [];
  if (t.subtask_ids.length) {
    const page = await api('/api/v1/tasks?' + new URLSearchParams({ parent_task_id: String(t.id), limit: '1000' }));
    subtasks = page.tasks;
  }
  listOfTasks($('detail-subtasks'), t.subtask_ids, subtasks);
  listOfTasks($('detail-depends'), t.depends_on || [], null);
  await loadHistory(t.id);
}

async function loadHistory(id) {
  const body = $('detail-history').tBodies[0];
  body.replaceChildren();
  $('detail-history-note').textContent = '';
  let history;
  try {
    history = await api('/api/v1/tasks/' + id + '/history');
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
    $('detail-history-note').textContent = 'no history';
    return;
  }
  for (const h of history.entries) {
    const changes = Object.entries(h.changes || {})
      .map(([f, c]) => f + ': ' + JSON.stringify(c.from) + ' → ' + JSON.stringify(c.to)).join('\n');
    const tr = el('tr');
    tr.append(el('td', h.seq), el('td', h.at), el('td', h.type + (h.reason ? ' (' + h.reason + ')' : '')),
      el('td', h.assignee || h.client_id || ''), el('td', changes));
    body.append(tr);
  }
  if (!history.entries.length) $('detail-history-note').textContent = 'no history';
  else if (history.next_cursor) $('detail-history-note').textContent = 'older entries not shown';
}

// ---- live updates

async function refreshAll() {
  try {
    await Promise.all([loadCounts(), loadInstances(), loadTasks(), loadDetail()]);
    clearError();
  } catch (e) { showError(e); }
}

// Many events in a burst make one refresh.
function refreshSoon(what) {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(async () => {
    state.refreshTimer = null;
    try {
      await Promise.all(what === 'instance' ? [loadInstances()] : [loadCounts(), loadTasks(), loadDetail(), loadInstances()]);
      clearError();
    } catch (e) { showError(e); }
  }, 200);
}

function setMode(text, cls) {
  $('live-mode').textContent = text;
  $('live-mode').className = 'badge ' + cls;
}

function startPolling(why) {
  if (state.events) { state.events.close(); state.events = null; }
  setMode('polling every ' + POLL_MS / 1000 + ' s (' + why + ')', 'polling');
  if (!state.pollTimer) state.pollTimer = setInterval(refreshAll, POLL_MS);
}

async function startLive() {
  // Ask first: EventSource hides the status of a refused stream (404 where the server has none).
  const headers = {};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const probe = new AbortController();
  let status;
  try {
    const res = await fetch('/api/v1/events', { headers, signal: probe.signal });
    status = res.status;
    probe.abort();
  } catch (e) {
    status = 0;
  }
  if (status === 404) { startPolling('no live updates on this server: /api/v1/events answers 404'); return; }
  if (status === 401 || status === 403) return; // the token prompt restarts this
  if (status !== 200) { startPolling('live updates failed: HTTP ' + status); return; }
  const url = '/api/v1/events' + (token() ? '?access_token=' + encodeURIComponent(token()) : '');
  const events = new EventSource(url);
  state.events = events;
  events.onopen = () => {
    if (state.pollTimer) { clearInterval(state.pollTimer); state.pollTimer = null; }
    setMode('live', 'live');
    refreshAll(); // whatever changed while the stream was down
  };
  events.addEventListener('task', () => refreshSoon('task'));
  events.addEventListener('instance', () => refreshSoon('instance'));
  events.onerror = () => {
    // EventSource reconnects by itself; poll meanwhile so the page never goes stale
    if (events.readyState === EventSource.CLOSED) startPolling('the live stream closed');
    else { setMode('reconnecting…', 'polling'); if (!state.pollTimer) state.pollTimer = setInterval(refreshAll, POLL_MS); }
  };
}

// ---- wiring

function start() {
  refreshAll();
  startLive();
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
  $('token-input').value = '';
  $('token-dialog').hidden = true;
  if (state.events) { state.events.close(); state.events = null; }
  start();
});

let typing = null;
for (const id of ['filter-status', 'filter-priority']) $(id).addEventListener('change', restartPaging);
for (const id of ['filter-assignee', 'filter-title']) {
  $(id).addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(restartPaging, 300); });
}
$('filters').addEventListener('submit', (ev) => { ev.preventDefault(); restartPaging(); });
$('next-page').addEventListener('click', () => {
  if (!state.nextCursor) return;
  state.cursors.push(state.nextCursor);
  loadTasks().then(clearError, showError);
});
$('prev-page').addEventListener('click', () => {
  if (state.cursors.length > 1) state.cursors.pop();
  loadTasks().then(clearError, showError);
});
$('detail-close').addEventListener('click', () => {
  state.selected = null;
  $('detail').hidden = true;
  for (const tr of $('tasks').tBodies[0].rows) tr.classList.remove('selected');
});

start();
