export {
  CliError,
  describeError,
  EXIT_FAILURE,
  EXIT_USAGE,
  reportError,
  unreachableMessage,
} from './errors.js';
export { push, pushCommand, type PushOptions, type PushResult } from './commands/push.js';
export { record, recordCommand, type RecordOptions, type RecordResult } from './commands/record.js';
export {
  httpBase,
  renderTable,
  stats,
  statsCommand,
  type StatsOptions,
  type StatsParticipant,
  type StatsSample,
  toSample,
} from './commands/stats.js';
export { describeServer, serve, serveCommand, type ServeOptions } from './commands/serve.js';
export { tokenCommand, type TokenCommandOptions } from './commands/token.js';
export { decodeWav, encodeWav, type PcmAudio, SUPPORTED_SAMPLE_RATES, WavFormatError } from './wav.js';
