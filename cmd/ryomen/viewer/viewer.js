// The ryomen viewer: a slice view drawn from PNG views rendered by the
// server (/api/render), so the page needs no Zarr or codec code. State
// lives in the URL hash (axis, index, zoom, cr, cc, mip, labels), so a
// view can be linked and reproduced with 'ryomen snapshot'.
'use strict';

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx2d = canvas.getContext('2d');
let info = null;
const state = { axis: -1, index: 0, zoom: 1, cr: 0, cc: 0, mip: false, labels: '', alpha: 0.5, outline: true, channels: [] };
let seq = 0, inflight = false, dirty = false, drag = null, hoverSeq = 0;

function planeAxes() { return info.planes[String(state.axis)]; }

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const num = (k) => (h.has(k) && h.get(k) !== '' && isFinite(Number(h.get(k))) ? Number(h.get(k)) : null);
  return { axis: num('axis'), index: num('index'), zoom: num('zoom'), cr: num('cr'), cc: num('cc'),
    mip: h.get('mip') === '1', labels: h.get('labels') };
}

function writeHash() {
  const h = new URLSearchParams({ axis: state.axis, index: state.index, zoom: state.zoom, cr: state.cr, cc: state.cc });
  if (state.mip) h.set('mip', '1');
  if (state.labels) h.set('labels', state.labels);
  history.replaceState(null, '', '#' + h.toString());
}

function fit() {
  const [r, c] = planeAxes();
  const rect = canvas.getBoundingClientRect();
  state.zoom = Math.min(rect.width / info.shape[c], rect.height / info.shape[r]);
  state.cr = info.shape[r] / 2;
  state.cc = info.shape[c] / 2;
}

// region returns the level-0 rectangle the canvas shows.
function region() {
  const z = state.zoom * devicePixelRatio;
  const hh = canvas.height / 2 / z, hw = canvas.width / 2 / z;
  return [state.cr - hh, state.cr + hh, state.cc - hw, state.cc + hw];
}

// query is the /api/render query of the current view: the same
// parameters as the flags of 'ryomen snapshot'.
function query() {
  const [r0, r1, c0, c1] = region();
  const q = new URLSearchParams();
  if (state.axis >= 0) q.set('axis', state.axis);
  if (state.axis >= 0) q.set('index', state.index);
  if (state.mip) q.set('mip', '1');
  q.set('region', `${r0}:${r1},${c0}:${c1}`);
  q.set('width', canvas.width);
  q.set('height', canvas.height);
  const on = state.channels.filter((c) => c.active).map((c) => c.index);
  q.set('channels', on.length ? on.join(',') : 'none');
  for (const c of state.channels) q.append('window', `${c.index}=${c.start}:${c.end}`);
  if (state.labels) {
    q.set('labels', state.labels);
    q.set('alpha', state.alpha);
    if (!state.outline) q.set('outline', '0');
  }
  return q.toString();
}

function showError(msg) { $('error').textContent = msg; }

async function draw() {
  if (inflight) { dirty = true; return; }
  inflight = true;
  dirty = false;
  document.body.dataset.state = 'rendering';
  writeHash();
  const q = query();
  const my = ++seq;
  try {
    const resp = await fetch('api/render?' + q);
    if (!resp.ok) throw new Error(`render: ${resp.status} ${await resp.text()}`);
    const bmp = await createImageBitmap(await resp.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    if (my === seq) {
      ctx2d.imageSmoothingEnabled = false;
      ctx2d.clearRect(0, 0, canvas.width, canvas.height);
      ctx2d.drawImage(bmp, 0, 0);
      const lv = resp.headers.get('X-Ryomen-Level');
      $('status').textContent = `level ${lv} · zoom ${state.zoom.toPrecision(3)} · ${state.mip ? 'MIP' : 'index ' + state.index}`;
      showError('');
      document.body.dataset.query = q;
    }
  } catch (e) {
    showError(String(e.message || e));
  } finally {
    inflight = false;
  }
  if (dirty) { draw(); return; }
  document.body.dataset.state = 'ready';
}

// resize fits the canvas to its box and reports whether it changed
// (which clears it).
function resize() {
  const view = $('view');
  const w = Math.round(view.clientWidth * devicePixelRatio), h = Math.round(view.clientHeight * devicePixelRatio);
  if (w === canvas.width && h === canvas.height) return false;
  canvas.style.width = view.clientWidth + 'px';
  canvas.style.height = view.clientHeight + 'px';
  canvas.width = w;
  canvas.height = h;
  return true;
}

// voxel returns the level-0 position under a canvas point (CSS pixels),
// one entry per axis, or null outside the image.
function voxel(x, y) {
  const [r0, r1, c0, c1] = region();
  const px = Math.floor(x * devicePixelRatio), py = Math.floor(y * devicePixelRatio);
  const r = Math.floor(r0 + (py + 0.5) * (r1 - r0) / canvas.height);
  const c = Math.floor(c0 + (px + 0.5) * (c1 - c0) / canvas.width);
  const [ra, ca] = planeAxes();
  if (r < 0 || c < 0 || r >= info.shape[ra] || c >= info.shape[ca]) return null;
  const at = info.shape.map(() => 0);
  if (state.axis >= 0) at[state.axis] = state.index;
  at[ra] = r;
  at[ca] = c;
  return { at, px, py };
}

async function hover(x, y) {
  const v = voxel(x, y);
  const my = ++hoverSeq;
  const el = $('hover');
  if (!v) {
    el.textContent = 'outside';
    el.dataset.label = '';
    el.dataset.px = `${Math.floor(x * devicePixelRatio)},${Math.floor(y * devicePixelRatio)}`;
    return;
  }
  const pos = info.axes.map((a, i) => `${a.name}=${v.at[i]}`).join(' ');
  let text = pos, id = '';
  if (state.labels) {
    try {
      const resp = await fetch(`api/label?labels=${encodeURIComponent(state.labels)}&at=${v.at.join(',')}`);
      if (!resp.ok) throw new Error(`label: ${resp.status} ${await resp.text()}`);
      id = String((await resp.json()).id);
      text = `label ${id} at ${pos}`;
    } catch (e) {
      showError(String(e.message || e));
    }
  }
  if (my !== hoverSeq) return;
  el.textContent = text;
  el.dataset.label = id;
  el.dataset.px = `${v.px},${v.py}`;
}

function setAxis(a) {
  state.axis = a;
  const idx = $('index');
  if (a >= 0) {
    idx.max = info.shape[a] - 1;
    state.index = Math.floor(info.shape[a] / 2);
  }
  idx.disabled = a < 0;
}

function buildPanel() {
  $('format').textContent = `${info.format} · ${info.dtype} · ${info.axes.map((a, i) => a.name + ' ' + info.shape[i]).join(' × ')} · ${info.levels.length} levels`;
  const sel = $('axis');
  for (const k of Object.keys(info.planes).map(Number).sort((a, b) => a - b)) {
    const o = document.createElement('option');
    o.value = k;
    o.textContent = k < 0 ? 'plane' : info.axes[k].name;
    sel.appendChild(o);
  }
  sel.value = String(state.axis);
  sel.onchange = () => { setAxis(Number(sel.value)); $('index').value = state.index; fit(); sync(); draw(); };
  const idx = $('index');
  idx.value = state.index;
  idx.oninput = () => { state.index = Number(idx.value); sync(); draw(); };
  $('mip').checked = state.mip;
  $('mip').onchange = () => { state.mip = $('mip').checked; sync(); draw(); };
  const chs = $('channels');
  for (const c of state.channels) {
    const row = document.createElement('label');
    row.innerHTML = `<input type="checkbox"> <span class="swatch" style="background:#${c.color}"></span>${c.label || 'channel ' + c.index}<br>` +
      `<input type="number" step="any" title="window start"> – <input type="number" step="any" title="window end">`;
    const [on, lo, hi] = row.querySelectorAll('input');
    on.checked = c.active; lo.value = c.start; hi.value = c.end;
    on.onchange = () => { c.active = on.checked; draw(); };
    lo.onchange = () => { if (lo.value !== '' && isFinite(lo.value)) { c.start = Number(lo.value); draw(); } };
    hi.onchange = () => { if (hi.value !== '' && isFinite(hi.value)) { c.end = Number(hi.value); draw(); } };
    chs.appendChild(row);
  }
  const ls = $('labels');
  for (const n of info.labels || []) {
    const o = document.createElement('option');
    o.value = n; o.textContent = n;
    ls.appendChild(o);
  }
  ls.value = state.labels;
  ls.onchange = () => { state.labels = ls.value; draw(); };
  $('alpha').value = state.alpha;
  $('alpha').oninput = () => { state.alpha = Number($('alpha').value); draw(); };
  $('outline').onchange = () => { state.outline = $('outline').checked; draw(); };
}

function sync() {
  $('index-value').textContent = state.mip ? 'all' : String(state.index);
  $('index').disabled = state.axis < 0 || state.mip;
}

function bindView() {
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY }; });
  window.addEventListener('mouseup', () => { drag = null; });
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    state.cc -= (e.clientX - drag.x) / state.zoom;
    state.cr -= (e.clientY - drag.y) / state.zoom;
    drag = { x: e.clientX, y: e.clientY };
    draw();
  });
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    if (!drag) hover(e.clientX - r.left, e.clientY - r.top);
  });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.002), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  window.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT') return;
    const r = canvas.getBoundingClientRect();
    if (e.key === '+' || e.key === '=') zoomAt(1.25, r.width / 2, r.height / 2);
    if (e.key === '-') zoomAt(0.8, r.width / 2, r.height / 2);
    if (e.key === '0') { fit(); draw(); }
  });
  window.addEventListener('resize', () => { if (resize()) draw(); });
}

// zoomAt scales the view by f keeping the voxel under (x, y) in place.
function zoomAt(f, x, y) {
  const r = canvas.getBoundingClientRect();
  const dy = y - r.height / 2, dx = x - r.width / 2;
  const pr = state.cr + dy / state.zoom, pc = state.cc + dx / state.zoom;
  state.zoom = Math.min(64, Math.max(1e-4, state.zoom * f));
  state.cr = pr - dy / state.zoom;
  state.cc = pc - dx / state.zoom;
  draw();
}

async function main() {
  try {
    const resp = await fetch('api/info');
    if (!resp.ok) throw new Error(`info: ${resp.status} ${await resp.text()}`);
    info = await resp.json();
  } catch (e) {
    showError(String(e.message || e));
    return;
  }
  state.channels = (info.channels || []).map((c) => ({ ...c }));
  const h = readHash();
  const axes = Object.keys(info.planes).map(Number).sort((a, b) => a - b);
  setAxis(h.axis !== null && axes.includes(h.axis) ? h.axis : axes[0]);
  if (h.index !== null && state.axis >= 0) state.index = Math.min(Math.max(0, Math.round(h.index)), info.shape[state.axis] - 1);
  state.mip = h.mip;
  if (h.labels !== null && (info.labels || []).includes(h.labels)) state.labels = h.labels;
  else if (h.labels === null && (info.labels || []).length) state.labels = info.labels[0];
  resize();
  fit();
  if (h.zoom !== null && h.zoom > 0) state.zoom = h.zoom;
  if (h.cr !== null) state.cr = h.cr;
  if (h.cc !== null) state.cc = h.cc;
  buildPanel();
  sync();
  bindView();
  draw();
}

main();
