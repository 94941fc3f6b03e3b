import { PatchbayError } from '@patchbay/client';

/** The Web SDK NG's audio encoder configuration. */
export interface AudioEncoderConfiguration {
  sampleRate?: number;
  sampleSize?: number;
  stereo?: boolean;
  /** Kbps */
  bitrate?: number;
}

export type AudioEncoderConfigurationPreset =
  | 'speech_low_quality'
  | 'speech_standard'
  | 'music_standard'
  | 'standard_stereo'
  | 'high_quality'
  | 'high_quality_stereo';

const PRESETS: Record<
  AudioEncoderConfigurationPreset,
  Required<Omit<AudioEncoderConfiguration, 'sampleSize'>>
> = {
  speech_low_quality: { sampleRate: 16000, stereo: false, bitrate: 24 },
  speech_standard: { sampleRate: 32000, stereo: false, bitrate: 24 },
  music_standard: { sampleRate: 48000, stereo: false, bitrate: 32 },
  standard_stereo: { sampleRate: 48000, stereo: true, bitrate: 64 },
  high_quality: { sampleRate: 48000, stereo: false, bitrate: 128 },
  high_quality_stereo: { sampleRate: 48000, stereo: true, bitrate: 192 },
};

/** Resolves a preset name or a partial configuration against the default "music_standard". */
export function resolveEncoderConfig(
  config: AudioEncoderConfiguration | AudioEncoderConfigurationPreset | undefined,
): Required<Omit<AudioEncoderConfiguration, 'sampleSize'>> {
  if (config === undefined || config === null) return { ...PRESETS.music_standard };
  if (typeof config === 'string') {
    const preset = PRESETS[config];
    if (!preset) {
      throw PatchbayError.invalidParams(
        `unknown audio encoder preset "${config}"; use one of ${Object.keys(PRESETS).join(', ')}`,
      );
    }
    return { ...preset };
  }
  if (typeof config !== 'object')
    throw PatchbayError.invalidParams('encoderConfig must be a preset name or an object');
  return {
    sampleRate: config.sampleRate ?? PRESETS.music_standard.sampleRate,
    stereo: config.stereo ?? false,
    bitrate: config.bitrate ?? PRESETS.music_standard.bitrate,
  };
}
