import wavefile from 'wavefile';

/** 16-bit PCM audio; `samples` are interleaved when stereo (L, R, L, R, ...). */
export interface PcmAudio {
  sampleRate: number;
  channels: 1 | 2;
  samples: Int16Array /* interleaved */;
}

/** Sample rates accepted by {@link decodeWav}. */
export const SUPPORTED_SAMPLE_RATES: readonly number[] = [8000, 16000, 32000, 44100, 48000];

/** Thrown by {@link decodeWav} for anything that is not 16-bit PCM, mono/stereo, at a supported rate. */
export class WavFormatError extends Error {
  readonly code = 'UNSUPPORTED_AUDIO_FORMAT';
  override readonly name = 'WavFormatError';
  /** The file name (or other label) the caller passed as `source`. */
  readonly source: string;

  constructor(source: string, message: string) {
    super(message);
    this.source = source;
  }
}

/** The parts of wavefile's untyped `fmt` chunk object that we read. */
interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  subformat: number[];
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const FORMAT_NAMES: Record<number, string> = {
  2: 'MS ADPCM',
  6: 'A-law',
  7: 'mu-law',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  85: 'MP3',
};

/** ["a", "b", "c"] -> "a, b and c" */
function listJoin(items: string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Quotes a file name for the suggested sox command when the shell would need it. */
function shellWord(name: string): string {
  return /^[\w./@%+=:,-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`;
}

/** Describes a non-16-bit-PCM encoding, e.g. "24-bit PCM", "32-bit float", "8-bit A-law". */
function describeEncoding(format: number, bits: number): string {
  if (format === WAVE_FORMAT_PCM) return `${bits}-bit PCM`;
  if (format === WAVE_FORMAT_IEEE_FLOAT) return `${bits}-bit float`;
  const name = FORMAT_NAMES[format];
  if (name) return bits > 0 ? `${bits}-bit ${name}` : name;
  return `audio format 0x${format.toString(16).padStart(4, '0')}`;
}

/**
 * Decodes a WAV file holding 16-bit PCM, mono or stereo, at 8000, 16000, 32000, 44100 or 48000 Hz.
 * RIFF, RIFX and RF64 containers and WAVE_FORMAT_EXTENSIBLE headers are accepted.
 * Anything else throws a {@link WavFormatError} whose one-line message names `source`, what was
 * found, and a sox command that converts the file.
 */
export function decodeWav(bytes: Uint8Array, source = 'input'): PcmAudio {
  const file = shellWord(source);
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\s+/g, ' ').replace(/\.$/, '') : String(err);
    throw new WavFormatError(
      source,
      `${source}: not a WAV file (${reason}); use a 16-bit PCM WAV file (convert with: sox ${file} -b 16 out.wav)`,
    );
  }

  const fmt = wav.fmt as FmtChunk;
  const format =
    fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE && typeof fmt.subformat?.[0] === 'number'
      ? fmt.subformat[0]
      : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const channels = fmt.numChannels;
  const rate = fmt.sampleRate;

  const problems: string[] = [];
  const wanted: string[] = [];
  const soxOptions: string[] = [];
  if (format !== WAVE_FORMAT_PCM || bits !== 16) {
    problems.push(describeEncoding(format, bits));
    wanted.push('16-bit PCM');
    soxOptions.push(format === WAVE_FORMAT_PCM ? '-b 16' : '-b 16 -e signed-integer');
  }
  if (channels !== 1 && channels !== 2) {
    problems.push(`${channels}-channel audio`);
    wanted.push('mono or stereo');
    soxOptions.push(channels > 2 ? '-c 2' : '-c 1');
  }
  if (!SUPPORTED_SAMPLE_RATES.includes(rate)) {
    problems.push(`a sample rate of ${rate} Hz`);
    const rates = SUPPORTED_SAMPLE_RATES.join(', ').replace(/, (\d+)$/, ' or $1');
    wanted.push(`a sample rate of ${rates} Hz`);
    soxOptions.push('-r 48000');
  }
  if (problems.length > 0) {
    const verb = problems.length === 1 ? 'is' : 'are';
    throw new WavFormatError(
      source,
      `${source}: ${listJoin(problems)} ${verb} not supported; use ${listJoin(wanted)} ` +
        `(convert with: sox ${file} ${soxOptions.join(' ')} out.wav)`,
    );
  }

  const frameBytes = 2 * channels;
  if (fmt.blockAlign !== frameBytes) {
    throw new WavFormatError(
      source,
      `${source}: invalid WAV header (block align ${fmt.blockAlign} for 16-bit ${channels}-channel audio); ` +
        `re-encode it (convert with: sox ${file} -b 16 out.wav)`,
    );
  }

  // wavefile's getSamples() unpacks sample by sample (about 1.5 s for 3 minutes of stereo);
  // reading the raw data chunk through a DataView is ~30x faster.
  const raw = (wav.data as { samples: Uint8Array }).samples;
  const littleEndian = wav.container !== 'RIFX';
  const count = Math.floor(raw.length / frameBytes) * channels; // drop a trailing partial frame
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const samples = new Int16Array(count);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(i * 2, littleEndian);

  return { sampleRate: rate, channels: channels === 2 ? 2 : 1, samples };
}

/** Encodes 16-bit PCM audio as a canonical little-endian RIFF/WAVE file (44-byte header). */
export function encodeWav(audio: PcmAudio): Uint8Array {
  const { sampleRate, channels, samples } = audio;
  if (channels !== 1 && channels !== 2)
    throw new RangeError(`encodeWav: channels must be 1 or 2, got ${channels}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(`encodeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  }
  if (samples.length % channels !== 0) {
    throw new RangeError(
      `encodeWav: ${samples.length} samples is not a whole number of ${channels}-channel frames`,
    );
  }

  const data = new Uint8Array(samples.length * 2);
  const view = new DataView(data.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i], true);

  // Let wavefile build the header, then hand it the already packed data chunk
  // (its own per-sample packing is slow for long recordings).
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, sampleRate, '16', []);
  (wav.data as { samples: Uint8Array }).samples = data;
  return wav.toBuffer();
}
