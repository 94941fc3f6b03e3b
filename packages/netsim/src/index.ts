export { DelayLine } from './DelayLine.js';
export {
  type DirectionCounters,
  type Direction,
  type Impairment,
  ImpairmentProxy,
  type ImpairmentProxyOptions,
  NO_IMPAIRMENT,
} from './ImpairmentProxy.js';
export {
  BernoulliLoss,
  createLossModel,
  describeLoss,
  GilbertElliottLoss,
  gilbertElliottParams,
  type LossModel,
  type LossSpec,
  NO_LOSS,
} from './LossModel.js';
export { mulberry32 } from './mulberry32.js';
export { coarseLag, type SegmentalSnr, segmentalSnr } from './segmentalSnr.js';
export { speechLikeSignal } from './speechLikeSignal.js';
