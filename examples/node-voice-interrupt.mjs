// A voice agent's speaking loop: streams a generated voice-like signal (as a TTS engine would)
// and, when the "user" barges in, drops everything queued with clearBuffer() and answers briefly.
// Usage: PATCHBAY_SERVER=ws://127.0.0.1:7080 node examples/node-voice-interrupt.mjs [channel]
import { createClient } from '@patchbay/node';

const channel = process.argv[2] ?? 'demo';
const RATE = 16000;

/** `seconds` of a vowel-like sound: a gliding pulse train through two formants, in syllables. */
function speech(seconds, pitch = 140) {
  const out = new Int16Array(Math.round(seconds * RATE));
  let phase = 0;
  const formant = [0, 0, 0, 0];
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    phase += (pitch + 20 * Math.sin(2 * Math.PI * 0.5 * t)) / RATE;
    const pulse = phase >= 1 ? ((phase -= 1), 1) : 0;
    let y = 0;
    [700, 1200].forEach((fc, k) => {
      const r = Math.exp((-Math.PI * 100) / RATE);
      const v =
        pulse * 0.4 +
        2 * r * Math.cos((2 * Math.PI * fc) / RATE) * formant[2 * k] -
        r * r * formant[2 * k + 1];
      formant[2 * k + 1] = formant[2 * k];
      formant[2 * k] = v;
      y += v;
    });
    const syllable = Math.sin(Math.PI * ((t * 4) % 1)) ** 2;
    out[i] = Math.max(-32767, Math.min(32767, Math.round(y * syllable * 6000)));
  }
  return out;
}

const client = createClient();
client.setExternalAudioSource(true, RATE, 1, 1000); // up to 1 s queued before push() waits
await client.join('demo', channel, null, 'agent');
const track = client.externalAudioTrack;

const reply = speech(6); // the agent "says" 6 s; the app pushes it as fast as back-pressure allows
let interrupted = false;
const speaking = (async () => {
  for (let at = 0; at < reply.length && !interrupted; at += RATE / 10) {
    await client.pushExternalAudioFrame(reply.subarray(at, at + RATE / 10));
  }
})();

// 1.5 s in, the user interrupts: stop the producer, drop what is queued, then answer briefly.
await new Promise((r) => setTimeout(r, 1500));
interrupted = true;
const dropped = track.clearBuffer(); // a push waiting on back-pressure resolves now
console.log(`interrupted: cleared ${Math.round(dropped)} ms of queued speech`);
await speaking;
await client.pushExternalAudioFrame(speech(0.8, 180));
await track.waitForPlayout();
console.log(`done; underruns ${track.stats.underruns}`);
await client.leave();
process.exit(0);
