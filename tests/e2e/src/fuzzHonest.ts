/**
 * An honest channel for the fuzzers: a publisher pushing a steady tone and a listener recording
 * the mix. `check()` says whether the listener kept hearing the tone, at its pitch, the whole time.
 */
import { createClient, estimateFrequency, type NodeClient, rms } from '@patchbay/node';
import { FrameRecorder, waitFor } from './support.js';

export interface HonestResult {
  /** How long the tone was pushed, ms. */
  pushedMs: number;
  /** 10 ms windows of the recording louder than 5% RMS, ms. */
  audibleMs: number;
  /** Pitch of the recording, Hz: the median of its 500 ms windows that are audible throughout. */
  frequency: number;
  /** Longest run of silent 10 ms windows while the tone was pushed, ms. */
  longestGapMs: number;
}

export interface HonestChannel {
  publisher: NodeClient;
  listener: NodeClient;
  /** Uids in the channel. */
  uids: string[];
  /** STUN usernames ("server:client" ufrags) of both clients' connections to the server. */
  stunUsernames: string[];
  /** SSRCs the clients send. */
  ssrcs: number[];
  stop(): Promise<HonestResult>;
}

function ufrag(sdp: string | undefined): string | undefined {
  return /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
}

export async function startHonestChannel(
  url: string,
  channel: string,
  frequency: number,
  tokens: { publisher: string | null; listener: string | null } = { publisher: null, listener: null },
  appId = 'test-app',
): Promise<HonestChannel> {
  const listener = createClient({ server: url });
  const recorder = new FrameRecorder();
  let recording = false;
  const stopMix = listener.onMixedAudioFrame((frame) => {
    if (recording) recorder.push(frame);
  });
  let flowing = 0;
  listener.on('user-published', (user) => {
    void listener.subscribe(user, 'audio').then((t) => t.onAudioFrame(() => flowing++));
  });
  await listener.join(appId, channel, tokens.listener, 'honest-listener');
  const publisher = createClient({ server: url });
  publisher.setExternalAudioSource(true, 48000, 1, 400);
  await publisher.join(appId, channel, tokens.publisher, 'honest-publisher');
  await waitFor(() => flowing > 30, 10_000, 'honest audio flowing');

  // A phase-continuous tone in 100 ms chunks, pushed with back-pressure until stopped.
  let running = true;
  let phase = 0;
  const chunk = new Int16Array(4800);
  const started = Date.now();
  recording = true;
  const pushing = (async () => {
    while (running) {
      for (let i = 0; i < chunk.length; i++) {
        chunk[i] = Math.round(0.5 * 32767 * Math.sin(phase));
        phase += (2 * Math.PI * frequency) / 48000;
      }
      phase %= 2 * Math.PI;
      await publisher.pushExternalAudioFrame(chunk);
    }
  })();

  const stunUsernames: string[] = [];
  for (const pc of [publisher.publisherConnection, listener.subscriberConnection]) {
    const remote = ufrag(pc?.remoteDescription?.sdp);
    const local = ufrag(pc?.localDescription?.sdp);
    if (remote && local) stunUsernames.push(`${remote}:${local}`);
  }
  const ssrcs = [
    ...(publisher.publisherConnection?.localDescription?.sdp ?? '').matchAll(/a=ssrc:(\d+)/g),
  ].map((m) => Number(m[1]));

  return {
    publisher,
    listener,
    uids: ['honest-listener', 'honest-publisher'],
    stunUsernames,
    ssrcs,
    async stop(): Promise<HonestResult> {
      running = false;
      const pushedMs = Date.now() - started;
      await pushing;
      await publisher.externalAudioTrack?.waitForPlayout();
      await new Promise((r) => setTimeout(r, 300));
      recording = false;
      stopMix();
      const samples = recorder.samples;
      let audible = 0;
      let gap = 0;
      let longestGap = 0;
      let first = -1;
      for (let i = 0, w = 0; i + 480 <= samples.length; i += 480, w++) {
        if (rms(samples.subarray(i, i + 480)) > 0.05) {
          audible += 10;
          if (first < 0) first = w;
          if (gap > longestGap) longestGap = gap;
          gap = 0;
        } else if (first >= 0) gap += 10;
      }
      // Pitch per 500 ms window that is audible throughout (a gap would bias a whole-span estimate).
      const pitches: number[] = [];
      for (let i = 0; i + 24000 <= samples.length; i += 24000) {
        const window = samples.subarray(i, i + 24000);
        let loud = true;
        for (let j = 0; j < 24000 && loud; j += 480) loud = rms(window.subarray(j, j + 480)) > 0.05;
        if (loud) pitches.push(estimateFrequency(window, 48000, 1));
      }
      pitches.sort((a, b) => a - b);
      await publisher.leave();
      await listener.leave();
      return {
        pushedMs,
        audibleMs: audible,
        frequency: pitches.length ? pitches[Math.floor(pitches.length / 2)] : 0,
        longestGapMs: longestGap,
      };
    },
  };
}
