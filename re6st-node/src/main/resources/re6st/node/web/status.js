// The node's status page: polls /status.json every second and redraws the tables and the mesh map.
// Every text from the JSON (peer CNs are chosen by others) goes in through textContent or an SVG
// attribute, never as markup. No libraries, no build step.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;
let selected = null; // CN of the node whose path is shown
let last = null;     // the latest status

function $(id) { return document.getElementById(id); }

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function bytes(n) {
  if (n < 1000) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let u = -1;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return n.toFixed(1) + ' ' + units[u];
}

function age(since, now) {
  const s = Math.max(0, Math.floor((Date.parse(now) - Date.parse(since)) / 1000));
  if (s >= 86400) return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
  if (s >= 3600) return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm';
  if (s >= 60) return Math.floor(s / 60) + 'm ' + s % 60 + 's';
  return s + 's';
}

function ms(v) { return v === null || v === undefined ? '-' : v.toFixed(1) + ' ms'; }

function renderHeader(s) {
  $('node').textContent = s.node;
  const daysLeft = Math.floor((Date.parse(s.certificate_expires) - Date.parse(s.now)) / 86400000);
  $('summary').textContent = s.address + ' in ' + s.network + (s.registry_node ? ' (the registry\'s node)' : '')
    + ' \u2014 up ' + age(s.started, s.now) + ', network config version ' + s.config_version
    + ', certificate expires ' + s.certificate_expires + (daysLeft < 0 ? ' (EXPIRED)' : ' (' + daysLeft + ' days left)')
    + ', registry ' + s.registry + (s.registry_node ? ' on this host' : s.registry_routed ? ' routed through the mesh'
      : ' NOT routed through the mesh');
  const w = $('warnings');
  w.replaceChildren();
  for (const text of s.warnings) {
    const li = document.createElement('li');
    li.textContent = text;
    w.appendChild(li);
  }
}

function renderTables(s) {
  const out = s.tunnels.filter(t => t.direction === 'out').length;
  $('tunnel-summary').textContent = out + ' out (keeps ' + s.client_count + '), ' + (s.tunnels.length - out)
    + ' in (takes ' + s.max_clients + ' per server)';
  const tb = $('tunnels').tBodies[0];
  tb.replaceChildren();
  for (const t of s.tunnels) {
    const tr = document.createElement('tr');
    tr.dataset.peer = t.peer;
    if (!t.up) tr.className = 'down';
    cell(tr, t.peer); cell(tr, t.interface); cell(tr, t.protocol); cell(tr, t.direction);
    cell(tr, t.remote === null ? '-' : t.remote); cell(tr, t.up ? 'up' : 'DOWN'); cell(tr, age(t.since, s.now));
    cell(tr, ms(t.rtt_ms), 'num'); cell(tr, bytes(t.bytes_in), 'num'); cell(tr, bytes(t.bytes_out), 'num');
    cell(tr, t.babel_cost === undefined ? '-' : String(t.babel_cost), 'num');
    tb.appendChild(tr);
  }
  const rb = $('routes').tBodies[0];
  rb.replaceChildren();
  for (const r of s.routes) {
    const tr = document.createElement('tr');
    cell(tr, r.prefix); cell(tr, r.node || '-'); cell(tr, r.via === null ? '(LAN)' : r.via); cell(tr, r.interface);
    cell(tr, String(r.metric), 'num');
    rb.appendChild(tr);
  }
}

// The map: this node in the middle, its tunnel peers (and LAN neighbours) on a ring, the nodes it
// routes to through a peer further out, next to that peer. On the registry's node, every other node
// of the registry's topology too: next to a peer it has a tunnel with, else on an outer ring.
// Ordered by CN, so it does not jump.
function layout(s) {
  const nodes = new Map(); // cn -> {cn, x, y, kind}
  nodes.set(s.node, { cn: s.node, x: 0, y: 0, kind: 'self' });
  const near = new Set(s.tunnels.map(t => t.peer));
  for (const r of s.routes) if (r.node && r.via === null) near.add(r.node);
  near.delete(s.node);
  const ring = [...near].sort();
  ring.forEach((cn, i) => {
    const a = 2 * Math.PI * i / ring.length - Math.PI / 2;
    nodes.set(cn, { cn, x: 120 * Math.cos(a), y: 120 * Math.sin(a), kind: 'near', angle: a });
  });
  const far = new Map(); // via -> [cn]
  for (const r of s.routes) {
    if (!r.node || nodes.has(r.node) || r.via === null || !nodes.has(r.via)) continue;
    if (!far.has(r.via)) far.set(r.via, []);
    far.get(r.via).push(r.node);
  }
  const loose = [];
  for (const n of topologyNodes(s)) {
    if (nodes.has(n.node) || [...far.values()].some(l => l.includes(n.node))) continue;
    const anchor = n.out.concat(n.in).find(c => c !== s.node && ring.includes(c));
    if (anchor === undefined) { loose.push(n.node); continue; }
    if (!far.has(anchor)) far.set(anchor, []);
    far.get(anchor).push(n.node);
  }
  for (const [via, list] of far) {
    const base = nodes.get(via).angle;
    list.sort().forEach((cn, i) => {
      const a = base + (i - (list.length - 1) / 2) * 0.35;
      nodes.set(cn, { cn, x: 195 * Math.cos(a), y: 195 * Math.sin(a), kind: 'far' });
    });
  }
  loose.sort().forEach((cn, i) => { // next to none of ours: the right and left sides of the view, in turn
    const side = i % 2, count = Math.ceil((loose.length - side) / 2);
    const a = (side ? Math.PI : 0) - Math.PI / 3 + 2 * Math.PI / 3 * (Math.floor(i / 2) + 0.5) / count;
    nodes.set(cn, { cn, x: 290 * Math.cos(a), y: 180 * Math.sin(a), kind: 'far' });
  });
  return nodes;
}

// The registry's topology (only on the registry's node): [{node, out, in, answered}], else none.
function topologyNodes(s) {
  return s.topology && Array.isArray(s.topology.nodes) ? s.topology.nodes : [];
}

// A curve from a to b bowed away from the middle (where this node and its tunnels are): a tunnel
// between two peers on opposite sides of the ring does not hide behind ours.
function bow(a, b) {
  const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2, dx = b.x - a.x, dy = b.y - a.y;
  let px = -dy, py = dx;
  if (px * mx + py * my < 0) { px = -px; py = -py; }
  const c = { x: mx + 0.3 * px, y: my + 0.3 * py };
  return 'M' + a.x + ' ' + a.y + ' Q' + c.x + ' ' + c.y + ' ' + b.x + ' ' + b.y;
}

function routeTo(s, cn) {
  return s.routes.find(r => r.node === cn) || null;
}

function renderMap(s) {
  const svg = $('map');
  const nodes = layout(s);
  const route = selected === null ? null : routeTo(s, selected);
  const edges = el('g', { class: 'edges' });
  const labels = el('g', { class: 'labels' });
  const self = nodes.get(s.node);
  // every tunnel of the network the registry knows, lighter, except ours (drawn below with their RTT)
  for (const n of topologyNodes(s)) {
    const from = nodes.get(n.node);
    if (!from || n.node === s.node) continue;
    for (const cn of n.out) {
      const to = nodes.get(cn);
      if (!to || cn === s.node) continue;
      edges.appendChild(el('path', { d: bow(from, to), 'data-from': n.node, 'data-to': cn, class: 'topology' }));
    }
  }
  for (const t of s.tunnels) {
    const p = nodes.get(t.peer);
    if (!p) continue;
    const onPath = route !== null && route.via === t.peer;
    edges.appendChild(el('line', { x1: self.x, y1: self.y, x2: p.x, y2: p.y, 'data-peer': t.peer,
      class: 'tunnel ' + (t.up ? 'up' : 'down') + (onPath ? ' path' : '') }));
    labels.appendChild(el('text', { x: (self.x + p.x) / 2, y: (self.y + p.y) / 2 - 4, class: 'rtt' },
      t.up ? ms(t.rtt_ms) : 'down'));
  }
  for (const r of s.routes) {
    if (!r.node || !nodes.has(r.node)) continue;
    const to = nodes.get(r.node);
    const from = r.via === null ? self : nodes.get(r.via);
    if (!from || from === to || (from === self && s.tunnels.some(t => t.peer === r.node))) continue;
    edges.appendChild(el('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, 'data-node': r.node,
      class: 'route' + (route === r ? ' path' : '') }));
  }
  const circles = el('g', { class: 'nodes' });
  for (const n of nodes.values()) {
    const g = el('g', { class: 'node ' + n.kind + (n.cn === selected ? ' selected' : ''), 'data-cn': n.cn,
      transform: 'translate(' + n.x + ',' + n.y + ')' });
    g.appendChild(el('circle', { r: 16 }));
    g.appendChild(el('text', { y: 32 }, n.cn));
    g.appendChild(el('title', {}, n.kind === 'self' ? 'this node' : 'click: the path to ' + n.cn));
    g.addEventListener('click', () => select(n.cn));
    circles.appendChild(g);
  }
  svg.replaceChildren(edges, labels, circles);
  renderPath(s, route);
}

function renderPath(s, route) {
  const p = $('path');
  if (selected === null) { p.textContent = ''; return; }
  if (selected === s.node) { p.textContent = selected + ' is this node.'; return; }
  if (route === null) { p.textContent = 'No route to ' + selected + ' now.'; return; }
  const tunnel = s.tunnels.find(t => t.peer === route.via);
  p.textContent = 'A packet to ' + selected + ' (' + route.prefix + ') leaves through '
    + (route.via === null ? 'the LAN (' + route.interface + '), directly'
      : 'tunnel ' + route.interface + ' to ' + route.via + (route.via === selected ? ' (a direct tunnel)' : ', which forwards it')
        + (tunnel && tunnel.rtt_ms !== null ? ', RTT ' + ms(tunnel.rtt_ms) : ''))
    + '; Babel metric ' + route.metric + '.';
}

function select(cn) {
  selected = selected === cn ? null : cn;
  if (last !== null) renderMap(last);
}

function render(s) {
  last = s;
  renderHeader(s);
  renderTables(s);
  renderMap(s);
  const state = $('state');
  state.className = 'state';
  state.textContent = 'live, as of ' + s.now;
}

function unreachable(why) {
  const state = $('state');
  state.className = 'state stale';
  state.textContent = 'cannot read the node\'s status (' + why + ')' + (last ? '; showing ' + last.now : '');
}

async function poll() {
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 3 * POLL_MS);
  try {
    const r = await fetch('/status.json', { cache: 'no-store', signal: abort.signal });
    if (r.ok) render(await r.json());
    else unreachable('HTTP ' + r.status);
  } catch (e) {
    unreachable(e.name === 'AbortError' ? 'no answer' : 'node unreachable');
  } finally {
    clearTimeout(timer);
    setTimeout(poll, Math.max(0, POLL_MS - (Date.now() - started)));
  }
}

poll();
