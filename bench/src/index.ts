export { DirectRun, LoadRun, type WindowResult } from './LoadRun.js';
export { spawnSfu, type SfuProcess } from './sfu.js';
