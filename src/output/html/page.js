// The html format's script (src/output/render_html.c embeds it at build
// time, without these whole-line comments). It reads the trace from the
// #ft-data element, draws the flame chart on a canvas, and offers the flame
// graph and the function table as other views. It writes "ok: N boxes
// drawn" into #status, or the error into #error: tests/browser/run.sh reads
// both. "#selftest" in the URL makes it also drive itself through hover,
// click-zoom, reset, search, the flame graph and the table, and report in
// #selftest.
(function () {
'use strict';
var $ = function (id) { return document.getElementById(id); };
var statusEl = $('status'), errorEl = $('error');
function fail(msg) {
  errorEl.hidden = false;
  errorEl.textContent = 'This page failed: ' + msg;
  statusEl.textContent = 'error: ' + msg;
}
window.addEventListener('error', function (e) { fail(e.message || String(e.error)); });
try { main(); } catch (e) { fail(e && e.stack ? e.stack : String(e)); }

function main() {
var D = JSON.parse($('ft-data').textContent);
// The flag bits of the data are C's (ft_node.flags, ft_name.flags), and
// the build checks these copies against C (scripts/embed-html.sh). Each
// line below names what a constant copies: "flag JS C" must equal C's
// value; "page JS FAMILY" is the page's own bit, clear of every FAMILY_*
// flag of C; "unread C" is a C flag the page does not read, clear of the
// bits it does; "mask C" a union of flags it reads. Every F_*/NAME_*
// constant here and every FT_NODE_*/FT_NAME_* flag of C must be named.
//   flag NAME_FUNC_CUT FT_NAME_FUNC_CUT
//   flag NAME_UNKNOWN FT_NAME_UNKNOWN
//   flag NAME_FILE_CUT FT_NAME_FILE_CUT
//   page NAME_THREAD FT_NAME: marks the name of a thread's row in the flame graph
//   mask FT_NAME_CUT
//   flag F_UNFINISHED FT_NODE_UNFINISHED
//   flag F_BEFORE FT_NODE_BEFORE_ATTACH
//   flag F_START_LOST FT_NODE_START_LOST
//   flag F_END_LOST FT_NODE_END_LOST
//   flag F_SPANS_LOSS FT_NODE_SPANS_LOSS
//   flag F_DUR_UNCERTAIN FT_NODE_DUR_UNCERTAIN
//   unread FT_NODE_LOST: lost-record markers come in each thread's "lost", not as calls
//   unread FT_NODE_EXEC: a call ended by exec() is drawn as an ordinary call
//   unread FT_NODE_CONTEXT: a --trigger call's caller, shown as context, is drawn as an ordinary call
var NAME_FUNC_CUT = 1, NAME_UNKNOWN = 2, NAME_FILE_CUT = 4, NAME_THREAD = 256;
var F_UNFINISHED = 1, F_BEFORE = 2, F_START_LOST = 8, F_END_LOST = 16, F_SPANS_LOSS = 32, F_DUR_UNCERTAIN = 256;
var ROW = 18, HEAD = 26, GAP = 12, AXIS = 24, MIN_SPAN = 20;
var FONT = '11px ui-monospace, "SF Mono", SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
var HEAD_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
var SUB_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
var DIM = '#ececf0', DIM_INK = '#a8a8b3', INK = '#1b1b20';
var EDGE = { unfinished: '#e8590c', before: '#7048e8', lost: '#e03131' };
var names = D.names, meta = D.meta;
/* names come from the traced program: controls and bidirectional marks are shown
   escaped, as the text formats show them, so no name can reorder what is drawn */
function visible(s) {
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, function (c) {
    var h = c.charCodeAt(0).toString(16);
    return h.length <= 2 ? '\\x' + ('0' + h).slice(-2) : '\\u' + ('000' + h).slice(-4);
  });
}
names.forEach(function (n) { n[0] = visible(n[0]); n[1] = visible(n[1]); });
D.threads.forEach(function (t) { if (t.name) t.name = visible(t.name); });
if (meta && meta.command) meta.command = visible(meta.command);
var hashArgs = parseHash();
var noAnim = 'selftest' in hashArgs ||
  (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);

/* ---- formatting ---- */
function fmtDur(ns) {
  if (ns < 1000) return Math.round(ns) + ' ns';
  var units = [[1e3, '\u00b5s'], [1e6, 'ms'], [1e9, 's']], u = units[0];
  for (var i = 0; i < units.length; i++) if (ns >= units[i][0]) u = units[i];
  if (ns >= 60e9) return (ns / 60e9).toFixed(2) + ' min';
  var v = ns / u[0];
  return v.toFixed(v >= 100 ? 1 : v >= 10 ? 2 : 3) + ' ' + u[1];
}
function fmtTick(t, step) {
  var units = [[1, 'ns'], [1e3, '\u00b5s'], [1e6, 'ms'], [1e9, 's']], u = units[0];
  for (var i = 0; i < units.length; i++) if (step >= units[i][0] / 10 && t !== 0) u = units[i];
  if (t === 0) return '0';
  var dec = Math.max(0, Math.ceil(-Math.log10(step / u[0]) - 1e-9));
  return (t / u[0]).toFixed(Math.min(dec, 6)) + ' ' + u[1];
}
function fmtInt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
function pct(a, b) {
  if (!b) return '';
  var p = 100 * a / b;
  return (p >= 10 ? p.toFixed(1) : p.toFixed(2)) + '%';
}
function parseHash() {
  var out = {}, h = (location.hash || '').replace(/^#/, '');
  h.split('&').forEach(function (kv) {
    if (!kv) return;
    var i = kv.indexOf('='), k = i < 0 ? kv : kv.slice(0, i);
    try { out[decodeURIComponent(k)] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* ignore */ }
  });
  return out;
}

/* ---- names ---- */
function fnLabel(ni) {
  var n = names[ni];
  if (n[3] & NAME_UNKNOWN) return '<unknown>';
  return n[0] + (n[3] & NAME_FUNC_CUT ? '\u2026' : '');
}
function fnWhere(ni) {
  var n = names[ni];
  if (n[3] & (NAME_THREAD | NAME_UNKNOWN) || !n[1]) return '';
  return n[1] + (n[3] & NAME_FILE_CUT ? '\u2026' : '') + ':' + n[2];
}
function hash(s) {
  var h = 2166136261;
  for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}
var colors = [];
/* one hue family per file, so a module's calls read as one colour; the
 * function picks the shade */
function color(ni) {
  var c = colors[ni];
  if (c) return c;
  var n = names[ni];
  if (n[3] & NAME_THREAD) c = '#d3d9e6';
  else if (n[3] & NAME_UNKNOWN) c = '#d4d4d8';
  else {
    var hf = hash(n[1]), hn = hash(n[0]);
    var hue = ((hf % 360) + (hn % 56) - 28 + 360) % 360;
    c = 'hsl(' + hue + ',' + (55 + (hn >>> 8) % 20) + '%,' + (69 + (hn >>> 16) % 11) + '%)';
  }
  colors[ni] = c;
  return c;
}

/* ---- the timeline: one section per thread ---- */
var traceEnd = meta && meta.duration_ns ? meta.duration_ns : 0, shownBegin = Infinity;
function threadTitle(t) { return 'thread ' + t.tid + (t.name ? ' (' + t.name + ')' : ''); }
function makeRows(s) {
  var counts = new Int32Array(s.maxDepth + 1), i;
  for (i = 0; i < s.n; i++) counts[s.depth[i]]++;
  s.rows = [];
  for (i = 0; i <= s.maxDepth; i++) s.rows.push(new Int32Array(counts[i]));
  counts.fill(0);
  for (i = 0; i < s.n; i++) { var d = s.depth[i]; s.rows[d][counts[d]++] = i; }
}
function buildTimeline() {
  var secs = [];
  D.threads.forEach(function (t) {
    var c = t.calls, n = c.length / 5;
    var s = {
      title: threadTitle(t), tid: t.tid, n: n, maxDepth: -1, busy: 0,
      start: new Float64Array(n), dur: new Float64Array(n), self: new Float64Array(n),
      name: new Int32Array(n), depth: new Int32Array(n), flags: new Int32Array(n), parent: new Int32Array(n),
      lost: [], lostTotal: 0
    };
    var stack = [];
    for (var i = 0; i < n; i++) {
      var j = 5 * i, d = c[j + 3];
      s.name[i] = c[j]; s.start[i] = c[j + 1]; s.dur[i] = c[j + 2]; s.depth[i] = d; s.flags[i] = c[j + 4];
      stack.length = Math.min(stack.length, d);
      var p = stack.length ? stack[stack.length - 1] : -1;
      s.parent[i] = p;
      s.self[i] += s.dur[i];
      if (p >= 0) s.self[p] -= s.dur[i]; else s.busy += s.dur[i];
      stack.push(i);
      if (d > s.maxDepth) s.maxDepth = d;
      if (s.start[i] + s.dur[i] > traceEnd) traceEnd = s.start[i] + s.dur[i];
      if (s.start[i] < shownBegin) shownBegin = s.start[i];
    }
    for (var k = 0; k + 2 < t.lost.length; k += 3) {
      s.lost.push({ t: t.lost[k], count: t.lost[k + 1], depth: t.lost[k + 2] });
      s.lostTotal += t.lost[k + 1];
      if (t.lost[k] > traceEnd) traceEnd = t.lost[k];
      if (t.lost[k] < shownBegin) shownBegin = t.lost[k];
    }
    s.sub = fmtInt(n) + (n === 1 ? ' call' : ' calls') + ' \u00b7 ' + fmtDur(s.busy) + ' in calls' +
      (s.lostTotal ? ' \u00b7 ' + fmtInt(s.lostTotal) + ' records lost' : '');
    if (!n && !s.lost.length) return;
    if (s.maxDepth < 0 && s.lost.length) s.maxDepth = 0;
    makeRows(s);
    secs.push(s);
  });
  if (!traceEnd) traceEnd = 1;
  /* open on what is shown: the interpreter's start-up before the first
   * shown call would otherwise squeeze the calls to one edge */
  var home = shownBegin < traceEnd ? Math.max(0, shownBegin - (traceEnd - shownBegin) * 0.02) : 0;
  return { kind: 'time', secs: secs, end: traceEnd, home: home, x0: home, x1: traceEnd, scrollY: 0, sel: null };
}

/* ---- the flame graph: calls merged by call path, threads at the top ---- */
function buildFlame(tl) {
  var A = { name: [], total: [], self: [], calls: [], parent: [], kids: [] };
  function node(ni, p) {
    var id = A.name.length;
    A.name.push(ni); A.total.push(0); A.self.push(0); A.calls.push(0); A.parent.push(p); A.kids.push(null);
    return id;
  }
  function child(p, ni) {
    var m = A.kids[p];
    if (!m) { m = new Map(); A.kids[p] = m; }
    var id = m.get(ni);
    if (id === undefined) { id = node(ni, p); m.set(ni, id); }
    return id;
  }
  var roots = [], all = 0;
  tl.secs.forEach(function (s) {
    var ni = names.length;
    names.push([s.title, '', 0, NAME_THREAD]);
    var T = node(ni, -1), agg = new Int32Array(s.n);
    roots.push(T);
    for (var i = 0; i < s.n; i++) {
      var a = child(s.parent[i] < 0 ? T : agg[s.parent[i]], s.name[i]);
      agg[i] = a;
      A.total[a] += s.dur[i]; A.self[a] += Math.max(0, s.self[i]); A.calls[a]++;
      if (s.parent[i] < 0) A.total[T] += s.dur[i];
    }
    all += A.total[T];
  });
  /* lay out: heaviest child first, preorder so each row is in x order */
  var N = A.name.length;
  var s = {
    title: 'All threads, merged by call path', n: N, maxDepth: -1, lost: [],
    sub: 'box width is total time; boxes are not in time order',
    start: new Float64Array(N), dur: new Float64Array(N), self: new Float64Array(N),
    name: new Int32Array(N), depth: new Int32Array(N), flags: new Int32Array(N), parent: new Int32Array(N),
    calls: new Float64Array(N)
  };
  var k = 0, stack = [];
  for (var r = roots.length - 1; r >= 0; r--) stack.push([roots[r], -1, 0]);
  var x = 0;
  /* x of each node: parent x plus the widths of the siblings before it */
  var xOf = new Float64Array(N);
  roots.forEach(function (T) { xOf[T] = x; x += A.total[T]; });
  while (stack.length) {
    var top = stack.pop(), id = top[0], b = k++;
    s.name[b] = A.name[id]; s.start[b] = xOf[id]; s.dur[b] = A.total[id]; s.self[b] = A.self[id];
    s.calls[b] = A.calls[id]; s.parent[b] = top[1]; s.depth[b] = top[2];
    if (top[2] > s.maxDepth) s.maxDepth = top[2];
    var m = A.kids[id];
    if (!m) continue;
    var kids = Array.from(m.values()).sort(function (p, q) { return A.total[q] - A.total[p]; });
    var cx = xOf[id];
    kids.forEach(function (c) { xOf[c] = cx; cx += A.total[c]; });
    for (var j = kids.length - 1; j >= 0; j--) stack.push([kids[j], b, top[2] + 1]);
  }
  var secs = [];
  if (N) { makeRows(s); secs.push(s); }
  var end = all || 1;
  return { kind: 'flame', secs: secs, end: end, x0: 0, x1: end, scrollY: 0, sel: null, all: all };
}

/* ---- functions: the report, computed here ---- */
function buildFunctions(tl) {
  var keyOf = new Int32Array(names.length).fill(-1), keys = new Map(), F = [];
  tl.secs.forEach(function (s) {
    var active = new Map(), stack = [];
    for (var i = 0; i < s.n; i++) {
      var ni = s.name[i], f = keyOf[ni];
      if (f < 0) {
        var key = names[ni][0] + '\u0000' + names[ni][1] + '\u0000' + (names[ni][3] & NAME_UNKNOWN);
        f = keys.get(key);
        if (f === undefined) {
          f = F.length; keys.set(key, f);
          F.push({ ni: ni, line: names[ni][2], calls: 0, total: 0, self: 0, max: 0 });
        }
        keyOf[ni] = f;
      }
      while (stack.length > s.depth[i]) { var g = stack.pop(); active.set(g, active.get(g) - 1); }
      var e = F[f];
      if (names[ni][2] < e.line) e.line = names[ni][2];
      e.calls++; e.self += Math.max(0, s.self[i]);
      if (s.dur[i] > e.max) e.max = s.dur[i];
      /* recursion: an outer call of the same function already counts */
      if (!active.get(f)) e.total += s.dur[i];
      active.set(f, (active.get(f) || 0) + 1);
      stack.push(f);
    }
  });
  return F;
}

var timeline = buildTimeline();
var flame = buildFlame(timeline);
var funcs = null;
var cur = timeline;

/* ---- canvas ---- */
var cv = $('cv'), ctx = cv.getContext('2d'), stage = $('stage'), tip = $('tip');
var W = 0, H = 0, CW = 6.6, drawn = 0, pending = false, hover = null, matcher = null, matchName = null;

/* a collapsed section shows its header only */
function shownRows(s) { return s.collapsed ? 0 : s.maxDepth + 1; }
function layout(v) {
  var y = AXIS + 8;
  v.secs.forEach(function (s) { s.y = y; s.h = HEAD + shownRows(s) * ROW + GAP; y += s.h; });
  v.height = y;
}
layout(timeline);
layout(flame);

function clampView(v) {
  var span = v.x1 - v.x0, full = v.end;
  if (!(span > 0)) span = full;
  if (span < MIN_SPAN) { var mid = (v.x0 + v.x1) / 2; v.x0 = mid - MIN_SPAN / 2; v.x1 = mid + MIN_SPAN / 2; span = MIN_SPAN; }
  if (span >= full) { v.x0 = 0; v.x1 = full; }
  else if (v.x0 < 0) { v.x0 = 0; v.x1 = span; }
  else if (v.x1 > full) { v.x1 = full; v.x0 = full - span; }
  var maxY = Math.max(0, v.height - H + 24);
  v.scrollY = Math.min(Math.max(0, v.scrollY), maxY);
}

function resize() {
  var dpr = window.devicePixelRatio || 1;
  W = stage.clientWidth; H = stage.clientHeight;
  var w = Math.max(1, Math.round(W * dpr)), h = Math.max(1, Math.round(H * dpr));
  if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

/* first box in row whose end is past t, from lo: rows are in time order
 * and boxes in a row never overlap, so ends are in order too */
function firstEnd(s, row, t, lo) {
  var hi = row.length;
  while (lo < hi) {
    var mid = (lo + hi) >> 1, b = row[mid];
    if (s.start[b] + s.dur[b] > t) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/* about one tick per 110 px: nice times, or nice percentages of the whole
 * in the flame graph, where x is not time */
function axisStep(v) {
  var raw = (v.x1 - v.x0) * 110 / Math.max(W, 1);
  if (v.kind !== 'flame') return niceStep(raw);
  return niceStep(100 * raw / v.end) * v.end / 100;
}
function pctTick(t, step, end) {
  var dec = Math.max(0, Math.ceil(-Math.log10(100 * step / end) - 1e-9));
  return (100 * t / end).toFixed(Math.min(dec, 6)) + '%';
}
function niceStep(raw) {
  var p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function draw() {
  pending = false;
  resize();
  var v = cur;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  if (v.kind === 'table') return;
  clampView(v);
  var k = W / (v.x1 - v.x0);
  drawn = 0;
  var step = axisStep(v);
  /* grid under everything */
  ctx.fillStyle = '#f1f1f4';
  for (var t = Math.ceil(v.x0 / step) * step; v.secs.length && t <= v.x1; t += step)
    ctx.fillRect(Math.round((t - v.x0) * k), AXIS, 1, H - AXIS);
  if (!v.secs.length) {
    ctx.fillStyle = '#8a8a96';
    ctx.font = '15px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(D.filtered ? 'No calls match the filters' : 'No calls traced', W / 2, H / 2);
    ctx.textAlign = 'left';
  }
  ctx.textBaseline = 'middle';
  v.secs.forEach(function (s) {
    var top = s.y - v.scrollY;
    if (top > H || top + s.h < AXIS) return;
    drawHeader(v, s, top, k);
    ctx.font = FONT;
    var d0 = Math.max(0, Math.floor((AXIS - top - HEAD) / ROW));
    var d1 = Math.min(shownRows(s) - 1, Math.floor((H - top - HEAD) / ROW));
    for (var d = d0; d <= d1; d++) if (s.rows[d]) drawRow(v, s, d, top + HEAD + d * ROW, k);
    s.lost.forEach(function (m) {
      var x = Math.round((m.t - v.x0) * k);
      if (x < -2 || x > W + 2) return;
      ctx.fillStyle = EDGE.lost;
      ctx.fillRect(x - 0.75, top + HEAD - 4, 1.5, shownRows(s) * ROW + 4);
      ctx.beginPath();
      ctx.moveTo(x - 5, top + HEAD - 10); ctx.lineTo(x + 5, top + HEAD - 10); ctx.lineTo(x, top + HEAD - 3);
      ctx.fill();
    });
  });
  outline(v, hover, 1, '#1b1b20');
  outline(v, v.sel, 2, '#1b1b20');
  drawAxis(v, k, step);
  /* scroll bar */
  if (v.height > H) {
    var track = H - AXIS - 8, th = Math.max(24, track * H / v.height);
    var ty = AXIS + 4 + (track - th) * v.scrollY / Math.max(1, v.height - H + 24);
    ctx.fillStyle = 'rgba(0,0,0,.22)';
    roundRect(W - 8, ty, 5, th, 2.5);
  }
}

function roundRect(x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath(); ctx.fill();
}

function drawHeader(v, s, top, k) {
  ctx.fillStyle = '#f4f5f8';
  ctx.fillRect(0, top + 2, W, HEAD - 6);
  ctx.fillStyle = '#dfe1e8';
  ctx.fillRect(0, top + HEAD - 4, W, 1);
  /* the disclosure triangle: the header folds the section */
  var cy = top + HEAD / 2 - 1;
  ctx.fillStyle = '#8a8a96';
  ctx.beginPath();
  if (s.collapsed) { ctx.moveTo(10, cy - 4); ctx.lineTo(15, cy); ctx.lineTo(10, cy + 4); }
  else { ctx.moveTo(9, cy - 3); ctx.lineTo(17, cy - 3); ctx.lineTo(13, cy + 2); }
  ctx.fill();
  ctx.font = HEAD_FONT;
  ctx.fillStyle = INK;
  ctx.fillText(s.title, 24, cy);
  var tw = ctx.measureText(s.title).width;
  ctx.font = SUB_FONT;
  ctx.fillStyle = '#70707c';
  ctx.fillText(s.sub, 36 + tw, cy);
}

function drawRow(v, s, d, y, k) {
  var row = s.rows[d], n = row.length, last = -Infinity;
  var i = firstEnd(s, row, v.x0, 0);
  while (i < n) {
    var b = row[i], st = s.start[b];
    if (st > v.x1) break;
    var x = (st - v.x0) * k, w = s.dur[b] * k;
    if (x + w <= last) {
      /* under a pixel already drawn: jump past it instead of walking
       * every tiny call, so a frame costs pixels, not calls */
      i = firstEnd(s, row, v.x0 + last / k, i + 1);
      continue;
    }
    drawBox(s, b, x, y, w);
    last = Math.max(last, x + Math.max(w, 1));
    i++;
  }
}

function drawBox(s, b, x, y, w) {
  var ni = s.name[b], on = !matchName || matchName[ni];
  var xl = Math.max(x, -2), xr = Math.min(x + Math.max(w, 1), W + 2), bw = xr - xl;
  if (bw >= 4) bw -= 1;
  ctx.fillStyle = on ? color(ni) : DIM;
  ctx.fillRect(xl, y, bw, ROW - 1);
  drawn++;
  var f = s.flags[b];
  if (f && bw >= 3) {
    if (f & (F_BEFORE | F_START_LOST)) {
      ctx.fillStyle = f & F_START_LOST ? EDGE.lost : EDGE.before;
      if (x >= -2) ctx.fillRect(xl, y, 3, ROW - 1);
    }
    if (f & (F_UNFINISHED | F_END_LOST)) {
      ctx.fillStyle = f & F_END_LOST ? EDGE.lost : EDGE.unfinished;
      if (x + w <= W + 2) ctx.fillRect(xl + bw - 3, y, 3, ROW - 1);
    }
  }
  if (bw < 26) return;
  var room = Math.floor((bw - 8) / CW);
  if (room < 2) return;
  var label = fnLabel(ni);
  if (label.length > room) label = label.slice(0, room - 1) + '\u2026';
  ctx.fillStyle = on ? INK : DIM_INK;
  ctx.fillText(label, xl + 4, y + ROW / 2);
}

function outline(v, h, lw, c) {
  if (!h || h.view !== v || h.lost || h.header || h.sec.collapsed) return;
  var s = h.sec, b = h.box, k = W / (v.x1 - v.x0);
  var x = (s.start[b] - v.x0) * k, w = Math.max(s.dur[b] * k, 1), y = s.y - v.scrollY + HEAD + s.depth[b] * ROW;
  ctx.strokeStyle = c;
  ctx.lineWidth = lw;
  var xl = Math.max(x, -4), xr = Math.min(x + w, W + 4);
  ctx.strokeRect(xl + lw / 2, y + lw / 2, Math.max(1, xr - xl - lw - (w >= 4 ? 1 : 0)), ROW - 1 - lw);
}

function drawAxis(v, k, step) {
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, AXIS);
  ctx.fillStyle = '#dfe1e8';
  ctx.fillRect(0, AXIS - 1, W, 1);
  ctx.font = SUB_FONT;
  ctx.fillStyle = '#70707c';
  ctx.textBaseline = 'middle';
  for (var t = Math.ceil(v.x0 / step) * step; v.secs.length && t <= v.x1; t += step) {
    var x = Math.round((t - v.x0) * k);
    ctx.fillRect(x, AXIS - 6, 1, 5);
    var label = v.kind === 'flame' ? pctTick(t, step, v.end) : fmtTick(t, step);
    if (x + 4 + ctx.measureText(label).width < W) ctx.fillText(label, x + 4, AXIS / 2 - 1);
  }
}

function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(draw);
}

/* ---- hit testing ---- */
function hitAt(v, mx, my) {
  if (v.kind === 'table' || my < AXIS) return null;
  var y = my + v.scrollY, k = W / (v.x1 - v.x0);
  for (var si = 0; si < v.secs.length; si++) {
    var s = v.secs[si];
    if (y < s.y || y >= s.y + s.h) continue;
    var t = v.x0 + mx / k, tol = 3 / k, li;
    if (y < s.y + HEAD) {
      for (li = 0; li < s.lost.length; li++)
        if (Math.abs(s.lost[li].t - t) <= tol) return { view: v, sec: s, lost: s.lost[li] };
      return { view: v, sec: s, header: true };
    }
    var d = Math.floor((y - s.y - HEAD) / ROW);
    if (d < 0 || d >= shownRows(s) || !s.rows[d]) return null;
    var row = s.rows[d], i = firstEnd(s, row, t - tol, 0), best = null, bestDist = Infinity;
    for (; i < row.length; i++) {
      var b = row[i], st = s.start[b], en = st + s.dur[b];
      if (st > t + tol) break;
      var dist = t < st ? st - t : t > en ? t - en : 0;
      if (dist < bestDist) { best = b; bestDist = dist; }
      if (!dist) break;
    }
    for (li = 0; li < s.lost.length; li++)
      if (Math.abs(s.lost[li].t - t) <= tol && (best === null || bestDist > 0)) return { view: v, sec: s, lost: s.lost[li] };
    return best === null ? null : { view: v, sec: s, box: best };
  }
  return null;
}

/* ---- tooltip ---- */
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function showTip(h, mx, my) {
  tip.textContent = '';
  var s = h.sec, rows = [];
  if (h.header) {
    tip.appendChild(el('div', 'fn', s.title));
    tip.appendChild(el('div', 'loc', s.sub));
    tip.appendChild(el('div', '', s.collapsed ? 'Click to show its calls' : 'Click to fold it away'));
  } else if (h.lost) {
    tip.appendChild(el('div', 'lost', fmtInt(h.lost.count) + (h.lost.count === 1 ? ' record' : ' records') + ' lost here'));
    tip.appendChild(el('div', 'loc', s.title));
    rows.push(['At', '+' + fmtDur(h.lost.t)]);
    rows.push(['Means', 'calls near here may be missing or cut short']);
  } else {
    var b = h.box, ni = s.name[b], thread = names[ni][3] & NAME_THREAD;
    tip.appendChild(el('div', 'fn', fnLabel(ni)));
    var where = fnWhere(ni);
    if (where) tip.appendChild(el('div', 'loc', where));
    else tip.appendChild(el('div', 'loc', thread ? 'all calls of the thread' : ''));
    if (h.view.kind === 'flame') {
      rows.push(['Total', fmtDur(s.dur[b]) + '  \u00b7  ' + pct(s.dur[b], h.view.all) + ' of all']);
      if (!thread) {
        rows.push(['Self', fmtDur(s.self[b])]);
        rows.push(['Calls', fmtInt(s.calls[b]) + '  \u00b7  avg ' + fmtDur(s.dur[b] / s.calls[b])]);
      }
    } else {
      var p = s.parent[b];
      rows.push(['Duration', fmtDur(s.dur[b]) + (p >= 0 ? '  \u00b7  ' + pct(s.dur[b], s.dur[p]) + ' of caller' : '')]);
      rows.push(['Self', fmtDur(Math.max(0, s.self[b]))]);
      rows.push(['Started', '+' + fmtDur(s.start[b]) + ' into the trace']);
      rows.push(['Thread', s.title.replace(/^thread /, '')]);
      rows.push(['Depth', String(s.depth[b] + 1)]);
    }
  }
  var tb = el('table');
  rows.forEach(function (r) {
    var tr = el('tr');
    tr.appendChild(el('td', '', r[0]));
    tr.appendChild(el('td', '', r[1]));
    tb.appendChild(tr);
  });
  if (rows.length) tip.appendChild(tb);
  if (!h.lost && !h.header) {
    var f = s.flags[h.box], nf = names[s.name[h.box]][3];
    if (f & F_UNFINISHED) tip.appendChild(el('span', 'chip warn', 'still running when tracing stopped'));
    if (f & F_BEFORE) tip.appendChild(el('span', 'chip', 'entered before tracing began'));
    if (f & F_START_LOST) tip.appendChild(el('span', 'chip bad', 'entry record lost: started earlier'));
    if (f & F_END_LOST) tip.appendChild(el('span', 'chip bad', 'return record lost: ended earlier'));
    if (f & F_SPANS_LOSS) tip.appendChild(el('span', 'chip warn', 'records were lost while it ran: calls under it may be missing'));
    if (f & F_DUR_UNCERTAIN) tip.appendChild(el('span', 'chip warn', 'shorter than the tracer\'s own cost can be told from: duration uncertain'));
    if (nf & (NAME_FUNC_CUT | NAME_FILE_CUT)) tip.appendChild(el('span', 'chip', 'name cut short by the tracer'));
    if (nf & NAME_UNKNOWN) tip.appendChild(el('span', 'chip bad', 'name record lost'));
  }
  tip.hidden = false;
  var tw = tip.offsetWidth, th = tip.offsetHeight;
  var x = mx + 14, y = my + 16;
  if (x + tw > W - 4) x = Math.max(4, mx - tw - 14);
  if (y + th > H - 4) y = Math.max(4, my - th - 12);
  tip.style.left = x + 'px';
  tip.style.top = y + 'px';
}
function hideTip() { tip.hidden = true; }

/* ---- breadcrumbs: the path to the selected call ---- */
function crumbs() {
  var c = $('crumbs'), v = cur;
  c.textContent = '';
  if (v.kind === 'table') {
    c.appendChild(el('span', 'hint', 'Click a function to find its calls in the timeline. Click a column to sort.'));
    return;
  }
  if (!v.sel) {
    c.appendChild(el('span', 'hint', v.kind === 'flame'
      ? 'Calls with the same path are merged. Click a box to zoom into it.'
      : 'Each box is one call, placed at the time it ran. Click one to zoom into it; its callers show up here.'));
    return;
  }
  var s = v.sel.sec, path = [];
  for (var b = v.sel.box; b >= 0; b = s.parent[b]) path.unshift(b);
  if (v.kind === 'time') {
    var top = el('button', '', s.title);
    top.onclick = function () { select(v, null); zoomTo(v, 0, v.end); };
    c.appendChild(top);
  }
  path.forEach(function (b, i) {
    if (i || v.kind === 'time') c.appendChild(el('span', 'sep', '\u203a'));
    var btn = el('button', b === v.sel.box ? 'cur' : '', fnLabel(s.name[b]));
    btn.title = fnWhere(s.name[b]);
    btn.onclick = function () { select(v, { view: v, sec: s, box: b }); zoomBox(v, s, b); };
    c.appendChild(btn);
  });
}

/* ---- zoom and pan ---- */
var anim = null;
function zoomTo(v, x0, x1, scrollY) {
  var from = { x0: v.x0, x1: v.x1, y: v.scrollY };
  var to = { x0: x0, x1: x1, y: scrollY === undefined ? v.scrollY : scrollY };
  if (anim) cancelAnimationFrame(anim.id);
  anim = null;
  if (noAnim) { v.x0 = to.x0; v.x1 = to.x1; v.scrollY = to.y; clampView(v); draw(); return; }
  var t0 = performance.now();
  function stepFn(now) {
    var p = Math.min(1, (now - t0) / 220), e = 1 - Math.pow(1 - p, 3);
    /* interpolate in log space of the span so zooms feel even */
    var s0 = from.x1 - from.x0, s1 = to.x1 - to.x0, span = s0 * Math.pow(s1 / s0, e);
    var c0 = (from.x0 + from.x1) / 2, c1 = (to.x0 + to.x1) / 2;
    var cc = s1 === s0 ? c0 + (c1 - c0) * e : c0 + (c1 - c0) * (span - s0) / (s1 - s0);
    v.x0 = cc - span / 2; v.x1 = cc + span / 2;
    v.scrollY = from.y + (to.y - from.y) * e;
    draw();
    if (p < 1) anim = { id: requestAnimationFrame(stepFn) };
    else { anim = null; v.x0 = to.x0; v.x1 = to.x1; v.scrollY = to.y; clampView(v); draw(); }
  }
  anim = { id: requestAnimationFrame(stepFn) };
}
function zoomBox(v, s, b) {
  var span = Math.max(s.dur[b], MIN_SPAN), pad = span * 0.01;
  var y = s.y + HEAD + s.depth[b] * ROW, sy = v.scrollY;
  if (y - sy < AXIS + HEAD || y - sy > H - 2 * ROW) sy = y - AXIS - HEAD - 2 * ROW;
  zoomTo(v, s.start[b] - pad, s.start[b] + span + pad, sy);
}
function zoomBy(v, factor, atX) {
  if (v.kind === 'table') return;
  var t = v.x0 + (v.x1 - v.x0) * (atX === undefined ? 0.5 : atX / W);
  v.x0 = t - (t - v.x0) * factor;
  v.x1 = t + (v.x1 - t) * factor;
  clampView(v);
  schedule();
}
function panBy(v, px) {
  if (v.kind === 'table') return;
  var d = px * (v.x1 - v.x0) / W;
  v.x0 += d; v.x1 += d;
  clampView(v);
  schedule();
}
function reset() {
  var v = cur;
  if (v.kind === 'table') return;
  select(v, null);
  zoomTo(v, v.home || 0, v.end, 0);
}
function fold(v, s) {
  s.collapsed = !s.collapsed;
  if (s.collapsed && v.sel && v.sel.sec === s) select(v, null);
  layout(v);
  clampView(v);
  hover = null;
  hideTip();
  draw();
}
function select(v, h) {
  v.sel = h && !h.lost && !h.header ? h : null;
  crumbs();
}

/* ---- search ---- */
function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
function search(q) {
  q = q.trim();
  matcher = null; matchName = null;
  var m = $('matches');
  m.className = '';
  if (!q) { m.textContent = ''; schedule(); if (cur.kind === 'table') showTable(); return; }
  try { matcher = new RegExp(q, 'i'); } catch (e) { matcher = new RegExp(escapeRe(q), 'i'); }
  matchName = new Uint8Array(names.length);
  for (var i = 0; i < names.length; i++) {
    var n = names[i];
    matchName[i] = !(n[3] & NAME_THREAD) && (matcher.test(fnLabel(i)) || (!!n[1] && matcher.test(n[1] + ':' + n[2]))) ? 1 : 0;
  }
  /* calls that match, and the time they cover: a match inside a match
   * adds no time */
  var calls = 0, time = 0, busy = 0;
  timeline.secs.forEach(function (s) {
    var under = -1;
    for (var b = 0; b < s.n; b++) {
      if (under >= 0 && s.depth[b] <= under) under = -1;
      if (s.parent[b] < 0) busy += s.dur[b];
      if (!matchName[s.name[b]]) continue;
      calls++;
      if (under < 0) { time += s.dur[b]; under = s.depth[b]; }
    }
  });
  m.textContent = calls ? fmtInt(calls) + (calls === 1 ? ' call' : ' calls') + ' \u00b7 ' + fmtDur(time) +
    (busy ? ' (' + pct(time, busy) + ')' : '') : 'no match';
  if (!calls) m.className = 'none';
  if (cur.kind === 'table') showTable();
  schedule();
}

/* ---- the functions table ---- */
function shortPath(p, max) {
  if (p.length <= max) return p;
  var parts = p.split('/'), out = parts.pop();
  while (parts.length && out.length + parts[parts.length - 1].length + 3 <= max) out = parts.pop() + '/' + out;
  return '\u2026/' + out;
}
var sortKey = 'total', sortDesc = true;
function showTable() {
  if (!funcs) funcs = buildFunctions(timeline);
  var box = $('table');
  box.textContent = '';
  var cols = [['fn', 'Function', 'l'], ['file', 'File', 'l'], ['calls', 'Calls'], ['total', 'Total'],
    ['self', 'Self'], ['avg', 'Avg'], ['max', 'Max']];
  var rows = funcs.filter(function (f) { return !matchName || matchName[f.ni]; });
  var val = function (f, k) {
    return k === 'fn' ? fnLabel(f.ni) : k === 'file' ? names[f.ni][1] : k === 'avg' ? f.total / f.calls : f[k];
  };
  rows.sort(function (a, b) {
    var x = val(a, sortKey), y = val(b, sortKey);
    var c = typeof x === 'string' ? x.localeCompare(y) : x - y;
    if (sortDesc) c = -c;
    return c || fnLabel(a.ni).localeCompare(fnLabel(b.ni));
  });
  var maxTotal = 0;
  funcs.forEach(function (f) { if (f.total > maxTotal) maxTotal = f.total; });
  var t = el('table'), hr = el('tr');
  cols.forEach(function (c) {
    var th = el('th', (c[2] || '') + (c[0] === sortKey ? ' sorted' : ''), c[1]);
    th.onclick = function () {
      if (sortKey === c[0]) sortDesc = !sortDesc;
      else { sortKey = c[0]; sortDesc = c[2] !== 'l'; }
      showTable();
    };
    hr.appendChild(th);
  });
  var thead = el('thead');
  thead.appendChild(hr);
  t.appendChild(thead);
  var tbody = el('tbody'), LIMIT = 2000;
  rows.slice(0, LIMIT).forEach(function (f) {
    var tr = el('tr'), fn = el('td', 'fn l'), sw = el('span', 'swatch');
    sw.style.background = color(f.ni);
    fn.appendChild(sw);
    fn.appendChild(document.createTextNode(fnLabel(f.ni)));
    fn.title = fnLabel(f.ni);
    tr.appendChild(fn);
    var where = names[f.ni][1] ? names[f.ni][1] + (names[f.ni][3] & NAME_FILE_CUT ? '\u2026' : '') + ':' + f.line : '';
    var file = el('td', 'file', shortPath(where, 56));
    file.title = where;
    tr.appendChild(file);
    tr.appendChild(el('td', '', fmtInt(f.calls)));
    var tot = el('td'), bar = el('span', 'barc');
    bar.style.width = Math.max(1, Math.round(60 * f.total / (maxTotal || 1))) + 'px';
    tot.appendChild(bar);
    tot.appendChild(document.createTextNode(fmtDur(f.total)));
    tr.appendChild(tot);
    tr.appendChild(el('td', '', fmtDur(f.self)));
    tr.appendChild(el('td', '', fmtDur(f.total / f.calls)));
    tr.appendChild(el('td', '', fmtDur(f.max)));
    tr.onclick = function () {
      var q = $('q');
      q.value = '^' + escapeRe(fnLabel(f.ni)) + '$';
      search(q.value);
      setView('time');
    };
    tbody.appendChild(tr);
  });
  t.appendChild(tbody);
  box.appendChild(t);
  if (rows.length > LIMIT) box.appendChild(el('div', 'more', fmtInt(rows.length - LIMIT) + ' more functions: search to narrow the list'));
  if (!rows.length) box.appendChild(el('div', 'more', funcs.length ? 'No function matches the search.' : 'No calls traced.'));
  box.dataset.rows = String(rows.length);
}

/* ---- views ---- */
var views = { time: timeline, flame: flame, table: { kind: 'table', secs: [] } };
function setView(name) {
  if (!views[name]) return;
  cur = views[name];
  hover = null;
  hideTip();
  Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {
    b.className = b.dataset.view === name ? 'on' : '';
  });
  var table = name === 'table';
  $('table').hidden = !table;
  cv.hidden = table;
  if (table) showTable();
  crumbs();
  draw();
}

/* ---- events ---- */
var drag = null;
function pos(e) {
  var r = cv.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}
cv.addEventListener('mousedown', function (e) {
  if (e.button !== 0) return;
  var p = pos(e);
  drag = { x: p.x, y: p.y, x0: cur.x0, x1: cur.x1, sy: cur.scrollY, moved: false };
  cv.focus();
  e.preventDefault();
});
window.addEventListener('mousemove', function (e) {
  var p = pos(e), v = cur;
  if (drag) {
    var dx = p.x - drag.x, dy = p.y - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) { drag.moved = true; cv.className = 'grab'; hideTip(); }
    var span = drag.x1 - drag.x0;
    v.x0 = drag.x0 - dx * span / W; v.x1 = v.x0 + span;
    v.scrollY = drag.sy - dy;
    clampView(v);
    schedule();
    return;
  }
  if (e.target !== cv) return;
  var h = hitAt(v, p.x, p.y);
  var same = h && hover && h.sec === hover.sec && h.box === hover.box && h.lost === hover.lost &&
    h.header === hover.header;
  if (!same) { hover = h; schedule(); }
  cv.className = h && !h.lost ? 'point' : '';
  if (h) showTip(h, p.x, p.y); else hideTip();
});
window.addEventListener('mouseup', function (e) {
  var d = drag;
  drag = null;
  cv.className = '';
  if (!d || d.moved || e.target !== cv) return;
  var p = pos(e), h = hitAt(cur, p.x, p.y);
  if (!h || h.lost) return;
  if (h.header) { fold(cur, h.sec); return; }
  select(cur, h);
  zoomBox(cur, h.sec, h.box);
});
cv.addEventListener('mouseleave', function () { if (hover) { hover = null; schedule(); } hideTip(); });
cv.addEventListener('dblclick', function (e) {
  var p = pos(e);
  if (!hitAt(cur, p.x, p.y)) reset();
});
cv.addEventListener('wheel', function (e) {
  var v = cur, p = pos(e);
  e.preventDefault();
  hideTip();
  var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY, dx = e.deltaMode === 1 ? e.deltaX * 16 : e.deltaX;
  if (e.ctrlKey || e.metaKey || e.altKey) { zoomBy(v, Math.exp(dy * 0.002), p.x); return; }
  if (e.shiftKey) { panBy(v, dy || dx); return; }
  if (dx) panBy(v, dx);
  if (dy) { v.scrollY += dy; clampView(v); schedule(); }
}, { passive: false });
window.addEventListener('keydown', function (e) {
  var q = $('q');
  if (document.activeElement === q) {
    if (e.key === 'Escape') { q.value = ''; search(''); q.blur(); }
    if (e.key === 'Enter') q.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  var v = cur, used = true;
  switch (e.key) {
  case '/': q.focus(); q.select(); break;
  case 'Escape': reset(); break;
  case '+': case '=': case 'w': zoomBy(v, 0.6); break;
  case '-': case '_': case 's': zoomBy(v, 1 / 0.6); break;
  case 'ArrowLeft': case 'a': panBy(v, -W / 6); break;
  case 'ArrowRight': case 'd': panBy(v, W / 6); break;
  case 'ArrowUp': if (v.kind === 'table') used = false; else { v.scrollY -= 3 * ROW; clampView(v); schedule(); } break;
  case 'ArrowDown': if (v.kind === 'table') used = false; else { v.scrollY += 3 * ROW; clampView(v); schedule(); } break;
  case '1': setView('time'); break;
  case '2': setView('flame'); break;
  case '3': setView('table'); break;
  default: used = false;
  }
  if (used) e.preventDefault();
});
window.addEventListener('resize', schedule);
$('q').addEventListener('input', function () { search(this.value); });
$('reset').onclick = reset;
$('zin').onclick = function () { zoomBy(cur, 0.6); };
$('zout').onclick = function () { zoomBy(cur, 1 / 0.6); };
Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {
  b.onclick = function () { setView(b.dataset.view); };
});

/* ---- header ---- */
(function header() {
  var title = meta ? (meta.command || 'PID ' + meta.pid) : 'trace';
  $('title').textContent = title;
  $('title').title = title;
  if (meta) document.title = 'flowtrace: ' + title;
  var m = $('meta'), calls = 0, lost = 0;
  timeline.secs.forEach(function (s) { calls += s.n; lost += s.lostTotal; });
  function add(text, cls) {
    if (m.childNodes.length) m.appendChild(document.createTextNode(' \u00b7 '));
    m.appendChild(el('span', cls, text));
  }
  if (meta) {
    add('PID ' + meta.pid);
    if (meta.python) add('CPython ' + meta.python + (meta.probe ? ' (' + meta.probe + ')' : ''));
    add(fmtDur(meta.duration_ns) + ' traced');
    if (meta.start_wall) add('started ' + meta.start_wall.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
    if (meta.lost) lost = meta.lost;
  }
  add(fmtInt(timeline.secs.length) + (timeline.secs.length === 1 ? ' thread' : ' threads'));
  add(fmtInt(calls) + (calls === 1 ? ' call shown' : ' calls shown'));
  if (lost) add(fmtInt(lost) + ' records lost', 'bad');
  if (meta && meta.incomplete) add('INCOMPLETE: ' + meta.incomplete.reason, 'bad');
  if (D.filtered) add('filtered', 'chip');
})();

/* ---- go ---- */
ctx.font = FONT;
resize();
ctx.font = FONT;
CW = ctx.measureText('MMMMMMMMMM').width / 10 || CW;
var t0 = performance.now();
if (hashArgs.q) { $('q').value = hashArgs.q; search(hashArgs.q); }
setView(views[hashArgs.view] ? hashArgs.view : 'time');
statusEl.textContent = 'ok: ' + drawn + ' boxes drawn in ' + (performance.now() - t0).toFixed(1) + ' ms';
statusEl.dataset.boxes = String(drawn);
if ('selftest' in hashArgs) selftest();

/* ---- self-test: #selftest drives the page as a user would, for the
 * headless browser check ---- */
function selftest() {
  var res = [], fails = [];
  function check(name, ok) { res.push(ok); if (!ok) fails.push(name); }
  function near(a, b) { return Math.abs(a - b) <= Math.max(1e-6, Math.abs(b) * 1e-6); }
  function fire(type, x, y, opts) {
    var r = cv.getBoundingClientRect(), o = { bubbles: true, cancelable: true, clientX: r.left + x, clientY: r.top + y, button: 0 };
    for (var k in opts) o[k] = opts[k];
    cv.dispatchEvent(type === 'wheel' ? new WheelEvent(type, o) : new MouseEvent(type, o));
  }
  function centre(v, s, b) {
    var k = W / (v.x1 - v.x0), x0 = Math.max(0, (s.start[b] - v.x0) * k), x1 = Math.min(W, (s.start[b] + s.dur[b] - v.x0) * k);
    return { x: (x0 + x1) / 2, y: s.y - v.scrollY + HEAD + s.depth[b] * ROW + ROW / 2 };
  }
  function key(k) { window.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })); }
  var s = timeline.secs[0];
  check('drew boxes', !s || drawn > 0);
  if (s) {
    /* the widest root: hover shows its name */
    var row = s.rows[0], b = row[0];
    for (var i = 1; i < row.length; i++) if (s.dur[row[i]] > s.dur[b]) b = row[i];
    var p = centre(timeline, s, b);
    fire('mousemove', p.x, p.y);
    check('hover shows tooltip', !tip.hidden && tip.textContent.indexOf(fnLabel(s.name[b])) >= 0);
    /* a click on a child zooms to it */
    var c = s.rows[1] && s.rows[1].length ? s.rows[1][0] : b;
    p = centre(timeline, s, c);
    fire('mousedown', p.x, p.y, { buttons: 1 });
    fire('mouseup', p.x, p.y);
    var span = Math.max(s.dur[c], MIN_SPAN);
    check('click zooms to the call', near(timeline.x1 - timeline.x0, span * 1.02) &&
      timeline.x0 <= s.start[c] && timeline.x1 >= s.start[c] + s.dur[c] && timeline.sel && timeline.sel.box === c);
    check('crumbs show the path', $('crumbs').textContent.indexOf(fnLabel(s.name[c])) >= 0 &&
      (s.parent[c] < 0 || $('crumbs').textContent.indexOf(fnLabel(s.name[s.parent[c]])) >= 0));
    /* the header folds the thread away and back */
    var h0 = s.h;
    fire('mousemove', 40, s.y - timeline.scrollY + HEAD / 2);
    check('header tooltip', !tip.hidden && tip.textContent.indexOf(s.title) >= 0);
    fire('mousedown', 40, s.y - timeline.scrollY + HEAD / 2, { buttons: 1 });
    fire('mouseup', 40, s.y - timeline.scrollY + HEAD / 2);
    var folded = s.collapsed && s.h < h0 && !timeline.sel;
    fire('mousedown', 40, s.y - timeline.scrollY + HEAD / 2, { buttons: 1 });
    fire('mouseup', 40, s.y - timeline.scrollY + HEAD / 2);
    check('header folds and unfolds', folded && !s.collapsed && s.h === h0);
    $('reset').click();
    check('reset shows everything shown', timeline.x0 === timeline.home && timeline.x1 === timeline.end && !timeline.sel);
    /* wheel with ctrl zooms in */
    fire('wheel', W / 2, p.y, { deltaY: -300, ctrlKey: true });
    check('ctrl+wheel zooms', timeline.x1 - timeline.x0 < timeline.end);
    key('Escape');
    check('Escape resets', timeline.x0 === timeline.home && timeline.x1 === timeline.end);
    /* search: the count matches the data */
    var target = fnLabel(s.name[c]), want = 0;
    timeline.secs.forEach(function (t) { for (var j = 0; j < t.n; j++) if (fnLabel(t.name[j]) === target) want++; });
    var q = $('q');
    q.value = '^' + escapeRe(target) + '$';
    q.dispatchEvent(new Event('input'));
    check('search counts matches', $('matches').textContent.indexOf(fmtInt(want) + (want === 1 ? ' call' : ' calls')) === 0);
    draw();
    check('search dims the rest', drawn > 0);
    q.value = '';
    q.dispatchEvent(new Event('input'));
    check('search clears', $('matches').textContent === '' && !matchName);
    /* flame graph: one box per thread on top, click zooms */
    document.querySelector('.tabs button[data-view=flame]').click();
    check('flame view draws', cur === flame && drawn >= timeline.secs.length);
    var fs = flame.secs[0], fb = fs.rows[0][0];
    p = centre(flame, fs, fb);
    fire('mousemove', p.x, p.y);
    check('flame hover', !tip.hidden && tip.textContent.indexOf('of all') >= 0);
    if (fs.rows[1]) {
      var fc = fs.rows[1][0];
      p = centre(flame, fs, fc);
      fire('mousedown', p.x, p.y, { buttons: 1 });
      fire('mouseup', p.x, p.y);
      check('flame click zooms', flame.x1 - flame.x0 <= fs.dur[fc] * 1.03 + MIN_SPAN);
      key('Escape');
    }
    /* functions table */
    document.querySelector('.tabs button[data-view=table]').click();
    check('table lists functions', Number($('table').dataset.rows) === funcs.length && funcs.length > 0);
    var firstRow = document.querySelector('#table tbody tr');
    firstRow.click();
    check('table row searches', cur === timeline && $('q').value.length > 0 && !!matchName);
    q.value = '';
    q.dispatchEvent(new Event('input'));
    fire('mouseleave', 0, 0);
    setView('time');
  }
  var out = el('div', '', 'selftest: ' + res.filter(Boolean).length + ' passed, ' + fails.length + ' failed' +
    (fails.length ? ': ' + fails.join('; ') : ''));
  out.id = 'selftest';
  document.body.appendChild(out);
}
}
})();
