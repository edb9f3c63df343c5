// Musika Studio's page script: no build step, nothing loaded from the internet. Clips come from
// POST /api/generate (+ /api/spectrogram); endless play pulls ~1.5 s chunks from a stream
// (POST /api/streams/{id}/next) into the AudioWorklet of player-worklet.js, keeping 1.2–2.7 s
// queued, so a control change (POST …/controls) starts within that time and ramps in over 1.5 s.
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
    $('command').textContent = decodeURIComponent(r.headers.get('X-Musika-Command') || '');
    setStatus(`Rendered ${body.seconds} s in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    const s = await fetch('/api/spectrogram', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (s.ok) { $('spectrogram').src = URL.createObjectURL(await s.blob()); $('spectrogram').style.display = 'block'; }
  } catch (e) { setStatus('Generate failed: ' + e, true); }
  finally { $('generate').disabled = false; }
}


async function play() {
  if (player) return stop();
  const m = current(); if (!m) return;
  $('play').disabled = true; setStatus('Opening a stream…');
  try {
    const r = await fetch('/api/streams', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: m.name, ...controls(false) }) });
    if (!r.ok) return setStatus('Could not open a stream: ' + await failed(r), true);
    const opened = await r.json();
    const ctx = new AudioContext({ sampleRate: opened.sampleRate });
    await ctx.audioWorklet.addModule('/player-worklet.js');
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
      const r = await fetch(`/api/streams/${p.id}/next`, { method: 'POST' });
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
