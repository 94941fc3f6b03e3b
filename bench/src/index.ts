export { DirectRun, LoadRun, type WindowResult } from './LoadRun.js';
export { spawnSfu, type SfuProcess } from './sfu.js';
export { runSoak, type SoakOptions, type SoakRunResult } from './soak/SoakRun.js';
export { judge, LIMITS as SOAK_LIMITS, type SoakVerdict } from './soak/verdict.js';
export { type LossCallOptions, type LossCallResult, runLossCall } from './lossCall.js';
