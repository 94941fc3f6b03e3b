export { DirectRun, LoadRun, type WindowResult } from './LoadRun.js';
export { spawnSfu, type SfuProcess } from './sfu.js';
export { type LossCallOptions, type LossCallResult, runLossCall } from './lossCall.js';
