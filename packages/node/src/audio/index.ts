export { AudioQueue, type AudioQueueOptions, type AudioQueueStats } from './AudioQueue.js';
export { estimateFrequency, findActiveRegion, generateTone, rms } from './analysis.js';
export { convertChannels } from './channels.js';
export { mixInto, saturateTo } from './mix.js';
export { Pacer, type PacerOptions } from './Pacer.js';
export { checkAudioFormat, SUPPORTED_INPUT_RATES, toInt16Samples } from './pcm.js';
export { Resampler } from './Resampler.js';
