/// The studio's single page: no build step, nothing loaded from the internet. Clips come from
/// POST /api/generate (+ /api/spectrogram); endless play pulls ~1.5 s chunks from a stream
/// (GET /api/streams/{id}/next) into an AudioWorklet queue, keeping 1.2–2.7 s queued, so a control
/// change (POST …/controls) starts within that time and ramps in over 1.5 s.
enum StudioPage {
  static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Musika Studio</title>
<style>
  :root { --bg:#14161a; --panel:#1d2026; --line:#2c313a; --text:#e6e6e6; --dim:#9aa3ad; --accent:#f0a030; --good:#5fc27a; --bad:#e06060; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { padding:14px 24px; border-bottom:1px solid var(--line); display:flex; align-items:baseline; gap:16px; }
  header h1 { margin:0; font-size:20px; letter-spacing:.5px; } header span { color:var(--dim); }
  main { display:grid; grid-template-columns: 360px 1fr; gap:20px; padding:20px 24px; max-width:1280px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:16px; }
  h2 { margin:0 0 12px; font-size:15px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.8px; }
  label { display:block; margin:10px 0 4px; color:var(--dim); font-size:13px; }
  .row { display:flex; gap:8px; align-items:center; }
  input[type=number], select { background:#0f1114; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:6px 8px; font:inherit; width:100%; }
  input[type=range] { width:100%; accent-color:var(--accent); }
  output { min-width:56px; text-align:right; font-variant-numeric:tabular-nums; }
  button { background:#2a2f37; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:8px 14px; font:inherit; cursor:pointer; }
  button.primary { background:var(--accent); color:#1a1a1a; border-color:var(--accent); font-weight:600; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline:2px solid var(--accent); outline-offset:2px; }
  button:disabled { opacity:.5; cursor:default; }
  .actions { display:flex; gap:10px; margin-top:16px; flex-wrap:wrap; }
  pre { white-space:pre-wrap; background:#0f1114; border:1px solid var(--line); border-radius:6px; padding:10px; font-size:12.5px; max-height:220px; overflow:auto; margin:6px 0 0; }
  canvas { width:100%; background:#0b0c0e; border:1px solid var(--line); border-radius:6px; display:block; }
  #spectrogram { width:100%; height:220px; object-fit:fill; border-radius:6px; margin-top:10px; display:none; }
  audio { width:100%; margin-top:10px; }
  .meter { height:10px; background:#0b0c0e; border-radius:5px; overflow:hidden; border:1px solid var(--line); }
  .meter div { height:100%; width:0; background:linear-gradient(90deg, var(--good), var(--accent), var(--bad)); transition:width .08s; }
  .stats { display:flex; gap:18px; color:var(--dim); font-size:13px; margin-top:8px; font-variant-numeric:tabular-nums; }
  .status { margin-top:10px; color:var(--dim); min-height:1.4em; } .status.error { color:var(--bad); }
  .hidden { display:none; }
  kbd { background:#2a2f37; border:1px solid var(--line); border-radius:4px; padding:0 5px; font-size:12px; }
</style>
</head>
<body>
<header><h1>Musika Studio</h1><span>endless music from a latent GAN, on this machine's CPU</span></header>
<main>
  <section aria-label="Controls">
    <h2>Model and controls</h2>
    <label for="model">Model</label>
    <select id="model"></select>
    <label for="seed">Seed</label>
    <div class="row"><input id="seed" type="number" min="0" step="1" value="0"><button id="dice" title="Random seed (d)" aria-label="Random seed">Random</button></div>
    <label for="truncation">Truncation (lower: safer, plainer)</label>
    <div class="row"><input id="truncation" type="range" min="0.1" max="4" step="0.1" value="2"><output id="truncationValue">2.0</output></div>
    <div id="tempoRow" class="hidden">
      <label for="tempo">Tempo (BPM)</label>
      <div class="row"><input id="tempo" type="range" min="60" max="180" step="1" value="120"><output id="tempoValue">120</output></div>
    </div>
    <div id="densityRow" class="hidden">
      <label for="density">Note density (onsets per second)</label>
      <div class="row"><input id="density" type="range" min="0" max="10" step="0.1" value="3"><output id="densityValue">3.0</output></div>
      <label><input id="useCurve" type="checkbox"> Use a drawn density curve for clips (draw below)</label>
      <canvas id="curve" width="320" height="80" aria-label="Density curve: drag to draw"></canvas>
    </div>
    <label for="seconds">Clip length (seconds)</label>
    <input id="seconds" type="number" min="1" max="600" step="1" value="30">
    <label for="format">Download format</label>
    <select id="format"><option value="wav">WAV</option><option value="flac">FLAC</option></select>
    <div class="actions">
      <button id="generate" class="primary" title="Generate a clip (g)">Generate</button>
      <button id="play" title="Play endlessly / stop (p)">▶ Play endlessly</button>
    </div>
    <div id="status" class="status" role="status" aria-live="polite"></div>
    <p style="color:var(--dim);font-size:12.5px">Keys: <kbd>g</kbd> generate · <kbd>p</kbd> play/stop · <kbd>d</kbd> new seed</p>
  </section>
  <div style="display:grid; gap:20px; align-content:start">
    <section aria-label="Endless playback">
      <h2>Endless playback</h2>
      <canvas id="scope" width="900" height="160" aria-label="Scrolling spectrogram of what plays"></canvas>
      <div class="meter" style="margin-top:10px" aria-hidden="true"><div id="level"></div></div>
      <div class="stats">
        <span>chunks <b id="chunks">0</b></span><span>received <b id="received">0.0</b> s</span>
        <span>buffered <b id="buffered">0.0</b> s</span><span>underruns <b id="underruns">0</b></span>
        <span>control changes <b id="changes">0</b></span>
      </div>
    </section>
    <section aria-label="Clip">
      <h2>Clip</h2>
      <audio id="player" controls></audio>
      <img id="spectrogram" alt="Spectrogram of the clip">
      <div class="actions"><a id="download" class="hidden"><button tabindex="-1">Download</button></a></div>
      <label>Command line that makes the same file</label>
      <pre id="command">–</pre>
    </section>
    <section aria-label="Model card">
      <h2>Model card</h2>
      <pre id="card">–</pre>
    </section>
  </div>
</main>
<script>
const $ = id => document.getElementById(id);
let models = [];
const curve = { points: new Array(32).fill(null) };
const stats = { chunks: 0, receivedFrames: 0, consumedFrames: 0, underruns: 0, changes: 0, sampleRate: 44100 };
let player = null;  // { id, ctx, node, analyser, playing }

function setStatus(text, error) { $('status').textContent = text; $('status').className = 'status' + (error ? ' error' : ''); }
async function failed(response) {
  try { return (await response.json()).error || response.statusText; } catch { return response.statusText; }
}
function current() { return models.find(m => m.name === $('model').value); }

async function loadModels() {
  const r = await fetch('/api/models');
  if (!r.ok) return setStatus('Could not list models: ' + await failed(r), true);
  models = await r.json();
  $('model').innerHTML = '';
  for (const m of models) $('model').add(new Option(`${m.name} (${m.architecture}, ${m.trainedSteps} steps)`, m.name));
  if (!models.length) setStatus('No models in this server\'s folder: start it with musika serve --models DIR', true);
  modelChanged();
}

function modelChanged() {
  const m = current(); if (!m) return;
  $('card').textContent = m.card || 'This model folder has no MODEL_CARD.md.';
  $('truncation').value = m.defaultTruncation; showValues();
  $('tempoRow').classList.toggle('hidden', !m.tempo);
  if (m.tempo) { $('tempo').min = Math.floor(m.tempo.minimum); $('tempo').max = Math.ceil(m.tempo.maximum); $('tempo').value = Math.round(m.tempo.mean); }
  $('densityRow').classList.toggle('hidden', !m.density);
  if (m.density) { $('density').min = 0; $('density').max = Math.max(1, Math.ceil(m.density.maximum)); $('density').value = m.density.mean.toFixed(1); }
  showValues(); drawCurve();
}

function showValues() {
  $('truncationValue').textContent = (+$('truncation').value).toFixed(1);
  $('tempoValue').textContent = $('tempo').value;
  $('densityValue').textContent = (+$('density').value).toFixed(1);
}

function controls(forClip) {
  const m = current();
  const c = { seed: Math.max(0, Math.floor(+$('seed').value || 0)), truncation: +$('truncation').value };
  if (m.tempo) c.tempo = +$('tempo').value;
  if (m.density) {
    if (forClip && $('useCurve').checked && curve.points.some(v => v !== null)) c.densityCurve = curvePoints();
    else c.density = +$('density').value;
  }
  return c;
}

function curvePoints() {
  const seconds = +$('seconds').value, n = curve.points.length, out = [];
  curve.points.forEach((v, i) => { if (v !== null) out.push([+(i * seconds / (n - 1)).toFixed(2), +v.toFixed(2)]); });
  return out;
}

function drawCurve() {
  const c = $('curve'), g = c.getContext('2d'), max = +$('density').max || 10;
  g.clearRect(0, 0, c.width, c.height); g.strokeStyle = '#f0a030'; g.lineWidth = 2; g.beginPath();
  let started = false;
  curve.points.forEach((v, i) => {
    if (v === null) return;
    const x = i * c.width / (curve.points.length - 1), y = c.height - v / max * c.height;
    started ? g.lineTo(x, y) : g.moveTo(x, y); started = true;
  });
  g.stroke();
}

function drawAt(event) {
  const c = $('curve'), r = c.getBoundingClientRect(), max = +$('density').max || 10;
  const i = Math.round((event.clientX - r.left) / r.width * (curve.points.length - 1));
  const v = Math.max(0, Math.min(max, (1 - (event.clientY - r.top) / r.height) * max));
  if (i >= 0 && i < curve.points.length) curve.points[i] = v;
  $('useCurve').checked = true; drawCurve();
}

async function generate() {
  const m = current(); if (!m) return;
  const body = { model: m.name, seconds: +$('seconds').value, format: $('format').value, ...controls(true) };
  $('generate').disabled = true; setStatus('Rendering ' + body.seconds + ' s…');
  const started = performance.now();
  try {
    const r = await fetch('/api/generate', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) return setStatus('Generate failed: ' + await failed(r), true);
    const blob = await r.blob(), url = URL.createObjectURL(blob);
    $('player').src = url;
    $('download').href = url; $('download').download = `musika-seed${body.seed}.${body.format}`; $('download').classList.remove('hidden');
    $('command').textContent = r.headers.get('X-Musika-Command') || '';
    setStatus(`Rendered ${body.seconds} s in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    const s = await fetch('/api/spectrogram', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (s.ok) { $('spectrogram').src = URL.createObjectURL(await s.blob()); $('spectrogram').style.display = 'block'; }
  } catch (e) { setStatus('Generate failed: ' + e, true); }
  finally { $('generate').disabled = false; }
}

const workletSource = `
class MusikaPlayer extends AudioWorkletProcessor {
  constructor() {
    super(); this.queue = []; this.offset = 0; this.started = false; this.consumed = 0; this.underruns = 0; this.blocks = 0;
    this.port.onmessage = e => { this.queue.push(e.data); this.started = true; };
  }
  process(inputs, outputs) {
    const left = outputs[0][0], right = outputs[0][1]; let sum = 0, missing = false;
    for (let i = 0; i < left.length; i++) {
      if (!this.queue.length) { left[i] = right[i] = 0; if (this.started) missing = true; continue; }
      const chunk = this.queue[0];
      left[i] = chunk[2 * this.offset]; right[i] = chunk[2 * this.offset + 1]; sum += left[i] * left[i];
      this.offset++; this.consumed++;
      if (2 * this.offset >= chunk.length) { this.queue.shift(); this.offset = 0; }
    }
    if (missing) this.underruns++;
    if (++this.blocks % 16 === 0 || missing) this.port.postMessage({ consumed: this.consumed, underruns: this.underruns, rms: Math.sqrt(sum / left.length) });
    return true;
  }
}
registerProcessor('musika-player', MusikaPlayer);`;

async function play() {
  if (player) return stop();
  const m = current(); if (!m) return;
  $('play').disabled = true; setStatus('Opening a stream…');
  try {
    const r = await fetch('/api/streams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: m.name, ...controls(false) }) });
    if (!r.ok) return setStatus('Could not open a stream: ' + await failed(r), true);
    const opened = await r.json();
    const ctx = new AudioContext({ sampleRate: opened.sampleRate });
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([workletSource], { type: 'application/javascript' })));
    const node = new AudioWorkletNode(ctx, 'musika-player', { numberOfInputs: 0, outputChannelCount: [2] });
    const analyser = ctx.createAnalyser(); analyser.fftSize = 1024; analyser.smoothingTimeConstant = 0;
    node.connect(analyser); analyser.connect(ctx.destination);
    Object.assign(stats, { chunks: 0, receivedFrames: 0, consumedFrames: 0, underruns: 0, changes: 0, sampleRate: opened.sampleRate });
    node.port.onmessage = e => { stats.consumedFrames = e.data.consumed; stats.underruns = e.data.underruns; $('level').style.width = Math.min(100, e.data.rms * 300) + '%'; };
    player = { id: opened.id, ctx, node, analyser, playing: true };
    await ctx.resume();
    $('play').textContent = '■ Stop'; setStatus('Playing endlessly. Change any control: it ramps in within a couple of seconds.');
    pump(player); scope(player);
  } catch (e) { setStatus('Playback failed: ' + e, true); }
  finally { $('play').disabled = false; }
}

async function pump(p) {
  while (p.playing) {
    const buffered = (stats.receivedFrames - stats.consumedFrames) / stats.sampleRate;
    if (buffered > 1.2) { await new Promise(r => setTimeout(r, 50)); continue; }
    try {
      const r = await fetch(`/api/streams/${p.id}/next`);
      if (!r.ok) { setStatus('The stream ended: ' + await failed(r), true); return stop(); }
      const samples = new Float32Array(await r.arrayBuffer()), frames = samples.length / 2;
      if (!p.playing) return;
      p.node.port.postMessage(samples, [samples.buffer]);  // transferred: samples is empty after this
      stats.chunks++; stats.receivedFrames += frames;
    } catch (e) { if (p.playing) { setStatus('The stream broke: ' + e, true); stop(); } return; }
  }
}

function scope(p) {
  const c = $('scope'), g = c.getContext('2d'), bins = new Uint8Array(p.analyser.frequencyBinCount);
  const tick = () => {
    if (!p.playing) return;
    p.analyser.getByteFrequencyData(bins);
    g.drawImage(c, -2, 0);
    for (let y = 0; y < c.height; y++) {
      const v = bins[Math.floor(Math.pow(1 - y / c.height, 2) * (bins.length - 1))];
      g.fillStyle = `rgb(${v}, ${Math.floor(v * 0.63)}, ${Math.floor(v * 0.19)})`; g.fillRect(c.width - 2, y, 2, 1);
    }
    $('chunks').textContent = stats.chunks; $('underruns').textContent = stats.underruns; $('changes').textContent = stats.changes;
    $('received').textContent = (stats.receivedFrames / stats.sampleRate).toFixed(1);
    $('buffered').textContent = Math.max(0, (stats.receivedFrames - stats.consumedFrames) / stats.sampleRate).toFixed(1);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function stop() {
  const p = player; if (!p) return;
  player = null; p.playing = false;
  $('play').textContent = '▶ Play endlessly'; setStatus('Stopped.');
  fetch(`/api/streams/${p.id}`, { method: 'DELETE', keepalive: true }).catch(() => {});
  await p.ctx.close();
}

async function controlChanged() {
  showValues();
  if (!player) return;
  const c = controls(false);
  const r = await fetch(`/api/streams/${player.id}/controls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c) });
  if (!r.ok) return setStatus('Control change refused: ' + await failed(r), true);
  stats.changes++; setStatus('Control change sent: it ramps in over the next seconds.');
}

$('model').addEventListener('change', () => { if (player) stop(); modelChanged(); });
for (const id of ['truncation', 'tempo', 'density']) { $(id).addEventListener('input', showValues); $(id).addEventListener('change', controlChanged); }
$('seed').addEventListener('change', controlChanged);
$('dice').addEventListener('click', () => { $('seed').value = Math.floor(Math.random() * 1000000); controlChanged(); });
$('generate').addEventListener('click', generate);
$('play').addEventListener('click', play);
$('curve').addEventListener('pointerdown', e => { $('curve').setPointerCapture(e.pointerId); drawAt(e); });
$('curve').addEventListener('pointermove', e => { if (e.buttons) drawAt(e); });
document.addEventListener('keydown', e => {
  if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'g') generate(); else if (e.key === 'p') play(); else if (e.key === 'd') $('dice').click();
});
window.addEventListener('pagehide', () => { if (player) fetch(`/api/streams/${player.id}`, { method: 'DELETE', keepalive: true }); });
loadModels();
</script>
</body>
</html>
"""#
}
