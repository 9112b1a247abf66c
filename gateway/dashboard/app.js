// The ops dashboard: plain ES module, no build step. Data: the /ops socket (cluster, actor watch) and the
// /v1/ops/* endpoints polled every 2 s. `io` is the global of /ops/vendor/socket.io.min.js.
/* global io */

const TOKEN_KEY = 'fd-ops-token';
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY);
let socket = null;
let timers = [];
let watched = null;
/** Last stats sample per worker, for messages/s: { at (ms), handledTotal }. */
const lastSample = new Map();
const rates = new Map();
let lastMap = null;

// ---------- helpers ----------
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function fmtAge(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  if (res.status === 401 || res.status === 403) {
    logout(`The token was refused (${res.status}); sign in again.`);
    throw new Error(`HTTP ${res.status}`);
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/** The CONTRACT.md error shape `{ errors: [{ status, code, detail }] }` as one line. */
function describeError(body) {
  const e = body?.errors?.[0];
  return e ? `${e.code} — ${e.detail}` : 'no answer';
}

// ---------- login ----------
async function probeDevTokens() {
  // An invalid body: 400 means the endpoint is on, 404 that dev tokens are off. Nothing is minted.
  try {
    const res = await fetch('/v1/auth/dev-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    $('dev-token').hidden = res.status === 404;
  } catch {
    $('dev-token').hidden = true;
  }
}
async function mintDevToken() {
  const res = await fetch('/v1/auth/dev-tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'ops' }) });
  if (!res.ok) return ($('login-error').textContent = `Dev token refused: HTTP ${res.status}`);
  login((await res.json()).token);
}
function login(t) {
  token = t.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
}
function logout(message = '') {
  stop();
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

// ---------- lifecycle ----------
function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('login-error').textContent = '';
  socket = io('/ops', { auth: { token }, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    setConn(true);
    if (watched) watch(watched);
  });
  socket.on('disconnect', () => setConn(false));
  socket.on('connect_error', (e) => {
    setConn(false, e.message);
    const code = e.data?.errors?.[0]?.code ?? '';
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') logout(`Socket refused: ${describeError(e.data)}`);
  });
  socket.on('cluster', renderCluster);
  socket.on('actor', renderActor);
  socket.on('actor:error', (e) => {
    if (e.address === watched) $('inspect-meta').textContent = `${e.address}: ${describeError(e)}`;
  });
  const poll = (fn) => {
    const run = () => fn().catch((e) => console.warn(e));
    run();
    timers.push(setInterval(run, POLL_MS));
  };
  poll(loadStats);
  poll(loadOrders);
  poll(loadMap);
}
function stop() {
  for (const t of timers) clearInterval(t);
  timers = [];
  socket?.close();
  socket = null;
  setConn(false);
}
function setConn(on, why = '') {
  $('conn').className = `pill ${on ? 'on' : 'off'}`;
  $('conn').textContent = on ? 'live' : `disconnected${why ? `: ${why}` : ''}`;
}

// ---------- cluster + stats ----------
function renderCluster(view) {
  $('cluster-meta').textContent = `${view.workers.length} workers, ${view.shardCount} shards — ${new Date().toLocaleTimeString()}`;
  const body = $('workers').querySelector('tbody');
  body.replaceChildren(
    ...view.workers.map((w) => {
      const { order = 0, driver = 0, cell = 0, ...rest } = w.actors;
      const other = Object.entries(rest).map(([k, n]) => `${k}:${n}`).join(' ');
      const rate = rates.get(w.workerId);
      return el(
        'tr',
        {},
        el('td', { title: `started ${w.startedAt ?? ''}` }, w.workerId),
        el('td', {}, w.pid),
        el('td', {}, `${w.shards.length}: ${w.shards.join(', ')}`),
        el('td', {}, order),
        el('td', {}, driver),
        el('td', {}, cell),
        el('td', {}, other),
        el('td', {}, rate === undefined ? '…' : rate.toFixed(1)),
      );
    }),
  );
}
async function loadStats() {
  const stats = await api('/v1/ops/stats');
  const now = Date.parse(stats.at);
  let total = 0;
  for (const w of stats.workers) {
    const prev = lastSample.get(w.workerId);
    // Workers publish their counters every few seconds, more rarely than this page polls: a sample whose total has
    // not moved is the same publication again, so the rate spans from one publication to the next (or is 0 once
    // nothing moved for longer than a few publication periods).
    const unchanged = prev && w.handledTotal === prev.handledTotal;
    if (unchanged && now - prev.at < 15_000) {
      total += rates.get(w.workerId) ?? 0;
      continue;
    }
    if (prev && now > prev.at && w.handledTotal >= prev.handledTotal) rates.set(w.workerId, ((w.handledTotal - prev.handledTotal) * 1000) / (now - prev.at));
    lastSample.set(w.workerId, { at: now, handledTotal: w.handledTotal });
    total += rates.get(w.workerId) ?? 0;
  }
  $('stats-meta').textContent = `messages handled: ${stats.handledTotal} total, ${total.toFixed(1)}/s (from successive samples; workers publish their metrics periodically)`;
  $('shards').replaceChildren(
    ...stats.shards.map((s) =>
      el('div', { class: `shard${s.lag + s.pending > 0 ? ' hot' : ''}`, title: `owner ${s.workerId}` }, `#${s.shard} lag ${s.lag} · pend ${s.pending}`),
    ),
  );
}

// ---------- orders ----------
async function loadOrders() {
  const stuckAfterS = Math.max(1, Number($('stuck').value) || 600);
  const data = await api(`/v1/ops/orders?limit=200&stuckAfterS=${stuckAfterS}`);
  const groups = new Map();
  for (const o of data.orders) {
    if (!groups.has(o.status)) groups.set(o.status, []);
    groups.get(o.status).push(o);
  }
  const stuck = data.orders.filter((o) => o.stuck).length;
  $('orders-meta').textContent = `${data.orders.length} most recent, ${stuck} stuck — ${new Date(data.at).toLocaleTimeString()}`;
  const order = ['PLACED', 'PENDING_PAYMENT', 'CONFIRMED', 'ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP', 'ASSIGNED', 'EN_ROUTE_TO_RESTAURANT', 'AT_RESTAURANT', 'PICKED_UP', 'EN_ROUTE_TO_CUSTOMER', 'AT_CUSTOMER', 'DELIVERED', 'SETTLED', 'REJECTED', 'CANCELLED'];
  const rank = (s) => (order.includes(s) ? order.indexOf(s) : order.length);
  const statuses = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
  $('board').replaceChildren(
    ...statuses.map((status) =>
      el(
        'div',
        { class: 'column', 'data-status': status },
        el('h3', {}, `${status} (${groups.get(status).length})`),
        ...groups.get(status).map((o) =>
          el(
            'div',
            { class: `card${o.stuck ? ' stuck' : ''}`, 'data-order-id': o.orderId, title: `updated ${fmtAge(o.sinceUpdateMs)} ago`, onclick: () => watch(`order:${o.orderId}`) },
            el('div', { class: 'id' }, o.orderId),
            el('div', {}, `${o.restaurantName ?? o.restaurantId} · ${fmtAge(o.ageMs)}`),
            el('div', { class: 'muted' }, o.driverId ? `driver ${o.driverId}` : 'no driver'),
          ),
        ),
      ),
    ),
  );
}

// ---------- map ----------
const COLORS = { available: '#16a34a', offered: '#f59e0b', assigned: '#2563eb' };
async function loadMap() {
  const data = await api('/v1/ops/drivers');
  lastMap = data;
  $('map-meta').textContent =
    `${data.drivers.length} drivers${data.truncated ? ` (capped at ${data.maxDrivers})` : ''}, ${data.cells.length} cells, ${data.openOrders.length} open orders — click to inspect`;
  drawMap();
}
/** Projection of the current data: an equirectangular fit of every point, with lng scaled by cos(lat). */
function projection(data, w, h) {
  const pts = [];
  for (const d of data.drivers) pts.push([d.lat, d.lng]);
  for (const c of data.cells) for (const p of c.boundary) pts.push(p);
  for (const o of data.openOrders) for (const p of [o.restaurant, o.dropoff]) if (p) pts.push([p.lat, p.lng]);
  if (pts.length === 0) return null;
  let [minLat, maxLat, minLng, maxLng] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [la, ln] of pts) [minLat, maxLat, minLng, maxLng] = [Math.min(minLat, la), Math.max(maxLat, la), Math.min(minLng, ln), Math.max(maxLng, ln)];
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLng - minLng) * k, 0.002);
  const spanY = Math.max(maxLat - minLat, 0.002);
  const pad = 20;
  const scale = Math.min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY);
  const cx = (minLng + maxLng) / 2;
  const cy = (minLat + maxLat) / 2;
  return (lat, lng) => [w / 2 + (lng - cx) * k * scale, h / 2 - (lat - cy) * scale];
}
let hits = [];
function drawMap() {
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  hits = [];
  const data = lastMap;
  const project = data && projection(data, w, h);
  if (!project) {
    ctx.fillStyle = '#6b7280';
    ctx.fillText('No drivers or open orders yet.', 20, 30);
    canvas.dataset.drivers = '[]';
    return;
  }
  for (const c of data.cells) {
    ctx.beginPath();
    c.boundary.forEach(([la, ln], i) => {
      const [x, y] = project(la, ln);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.closePath();
    ctx.fillStyle = 'rgba(37,99,235,0.05)';
    ctx.fill();
    ctx.strokeStyle = 'rgba(37,99,235,0.35)';
    ctx.stroke();
    const [x, y] = project(...c.boundary.reduce(([a, b], [la, ln]) => [a + la / c.boundary.length, b + ln / c.boundary.length], [0, 0]));
    hits.push({ x, y, r: 14, address: `cell:${c.cell}`, z: 0 });
  }
  for (const o of data.openOrders) {
    if (o.restaurant && o.dropoff) {
      const [x1, y1] = project(o.restaurant.lat, o.restaurant.lng);
      const [x2, y2] = project(o.dropoff.lat, o.dropoff.lng);
      ctx.strokeStyle = 'rgba(168,85,247,0.35)';
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const [p, color] of [[o.dropoff, '#a855f7'], [o.restaurant, '#dc2626']]) {
      if (!p) continue;
      const [x, y] = project(p.lat, p.lng);
      ctx.fillStyle = color;
      ctx.fillRect(x - 4, y - 4, 8, 8);
      hits.push({ x, y, r: 6, address: `order:${o.orderId}`, z: 1 });
    }
  }
  // Where each driver is drawn (canvas pixels), for tests and tooling: a canvas keeps no objects to query.
  const drawn = [];
  for (const d of data.drivers) {
    const [x, y] = project(d.lat, d.lng);
    drawn.push({ driverId: d.driverId, state: d.state, lat: d.lat, lng: d.lng, x, y });
    ctx.beginPath();
    ctx.arc(x, y, 5, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[d.state] ?? '#9ca3af';
    ctx.fill();
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    hits.push({ x, y, r: 7, address: `driver:${d.driverId}`, z: 2 });
  }
  canvas.dataset.drivers = JSON.stringify(drawn);
}
function onMapClick(ev) {
  const canvas = $('map');
  const rect = canvas.getBoundingClientRect();
  const x = ((ev.clientX - rect.left) * canvas.width) / rect.width;
  const y = ((ev.clientY - rect.top) * canvas.height) / rect.height;
  const hit = hits
    .map((h) => ({ ...h, d: Math.hypot(h.x - x, h.y - y) }))
    .filter((h) => h.d <= h.r)
    .sort((a, b) => b.z - a.z || a.d - b.d)[0];
  if (hit) watch(hit.address);
}

// ---------- inspector ----------
function watch(address) {
  address = address.trim();
  if (!address || !socket) return;
  if (watched && watched !== address) socket.emit('actor:unwatch', { address: watched }, () => {});
  watched = address;
  $('address').value = address;
  $('inspect-meta').textContent = `watching ${address}…`;
  socket.emit('actor:watch', { address }, (ack) => {
    if (ack?.ok) renderActor(ack.actor);
    else $('inspect-meta').textContent = `${address}: ${describeError(ack)}`;
  });
}
function unwatch() {
  if (watched && socket) socket.emit('actor:unwatch', { address: watched }, () => {});
  $('inspect-meta').textContent = watched ? `stopped watching ${watched}` : '';
  watched = null;
}
function renderActor(a) {
  if (a.address !== watched) return;
  $('inspect-meta').textContent = `${a.address} — shard ${a.shard} on ${a.workerId}, ${a.active ? 'active in memory' : 'not active (persisted state)'} — ${new Date().toLocaleTimeString()}`;
  $('inspect-state').textContent = a.state ?? 'null';
  $('inspect-context').textContent = JSON.stringify(a.context, null, 2);
  $('inspect-recent').textContent = a.recent.length
    ? [...a.recent].reverse().map((m) => `${m.at}  ${m.type ?? '?'}  ${m.outcome}${m.from ? `  from ${m.from}` : ''}`).join('\n')
    : '(none since activation)';
}

// ---------- wiring ----------
$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  login($('token').value);
});
$('dev-token').addEventListener('click', () => void mintDevToken());
$('logout').addEventListener('click', () => logout());
$('inspect-form').addEventListener('submit', (e) => {
  e.preventDefault();
  watch($('address').value);
});
$('unwatch').addEventListener('click', unwatch);
$('map').addEventListener('click', onMapClick);

void probeDevTokens();
if (token) start();
