// AudioWorklet processor: the microphone resampled to 16 kHz mono, posted as 20 ms frames of 16-bit PCM (640 bytes).
// Linear interpolation is enough for speech recognition; the read position carries over from block to block.
class MicFrames extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000;  // input samples per output sample
    this.position = 0;               // next output sample, in input samples of the current block (-1 = previous block's last)
    this.previous = 0;
    this.frame = new Int16Array(320);
    this.filled = 0;
  }

  process(inputs) {
    var input = inputs[0] && inputs[0][0];
    if (!input || !input.length) return true;
    while (this.position < input.length - 1) {
      var j = Math.floor(this.position);
      var a = j < 0 ? this.previous : input[j], b = input[j + 1];
      this.push(a + (b - a) * (this.position - j));
      this.position += this.step;
    }
    this.position -= input.length;
    this.previous = input[input.length - 1];
    return true;
  }

  push(value) {
    this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
    if (this.filled === this.frame.length) {
      this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
      this.frame = new Int16Array(320);
      this.filled = 0;
    }
  }
}

registerProcessor("mic-frames", MicFrames);
