/** 10 ms of interleaved 16-bit PCM. The samples buffer is reused: copy it if you keep it. */
export interface AudioFrame {
  samples: Int16Array;
  sampleRate: number;
  channels: number;
  samplesPerChannel: number;
}

export type AudioFrameCallback = (frame: AudioFrame) => void;
