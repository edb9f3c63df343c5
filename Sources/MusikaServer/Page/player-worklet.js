// The studio's audio worklet: plays the interleaved stereo chunks the page posts to it, in order,
// and reports what it consumed, its underruns and the level.
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
registerProcessor('musika-player', MusikaPlayer);
