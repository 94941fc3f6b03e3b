/**
 * Packet-loss models. Each is a small state machine asked once per packet: `drop(rand)` with a
 * uniform random number in [0, 1) from the caller's seeded PRNG, so a seed fixes the pattern.
 */

/** What a loss model is built from (plain data, so tests and bench can name and print it). */
export type LossSpec =
  | { kind: 'none' }
  /** Each packet is lost independently with probability `rate`. */
  | { kind: 'bernoulli'; rate: number }
  /**
   * Gilbert-Elliott bursts: a Good state that loses nothing and a Bad state that loses every
   * packet (the simple Gilbert model), with transition probabilities chosen so that the long-run
   * loss rate is `rate` and a burst of consecutive losses lasts `meanBurst` packets on average.
   */
  | { kind: 'gilbert-elliott'; rate: number; meanBurst: number };

export interface LossModel {
  /** True when this packet is lost. `rand` is uniform in [0, 1). */
  drop(rand: number): boolean;
}

export const NO_LOSS: LossSpec = { kind: 'none' };

/** Independent losses. */
export class BernoulliLoss implements LossModel {
  readonly rate: number;
  constructor(rate: number) {
    this.rate = rate;
  }
  drop(rand: number): boolean {
    return rand < this.rate;
  }
}

/** Transition probabilities of the two-state model for a loss rate and a mean burst length. */
export function gilbertElliottParams(
  rate: number,
  meanBurst: number,
): { pGoodToBad: number; pBadToGood: number } {
  // Bursts end with probability r per packet, so their length is geometric with mean 1/r.
  const pBadToGood = 1 / meanBurst;
  // Stationary P(Bad) = p / (p + r) = rate  =>  p = rate * r / (1 - rate).
  const pGoodToBad = (rate * pBadToGood) / (1 - rate);
  return { pGoodToBad, pBadToGood };
}

/** Bursty losses (simple Gilbert model: Bad loses all, Good loses none). */
export class GilbertElliottLoss implements LossModel {
  readonly pGoodToBad: number;
  readonly pBadToGood: number;
  #bad = false;
  constructor(rate: number, meanBurst: number) {
    const p = gilbertElliottParams(rate, meanBurst);
    this.pGoodToBad = p.pGoodToBad;
    this.pBadToGood = p.pBadToGood;
  }
  drop(rand: number): boolean {
    // One draw per packet decides the state this packet is sent in.
    this.#bad = this.#bad ? rand >= this.pBadToGood : rand < this.pGoodToBad;
    return this.#bad;
  }
}

class NoLoss implements LossModel {
  drop(): boolean {
    return false;
  }
}

/** Checks a spec and builds its model; throws RangeError on impossible parameters. */
export function createLossModel(spec: LossSpec): LossModel {
  switch (spec.kind) {
    case 'none':
      return new NoLoss();
    case 'bernoulli':
      checkRate(spec.rate, 1);
      return new BernoulliLoss(spec.rate);
    case 'gilbert-elliott':
      checkRate(spec.rate, 0.99);
      if (!(spec.meanBurst >= 1)) throw new RangeError(`meanBurst must be >= 1, got ${spec.meanBurst}`);
      if (gilbertElliottParams(spec.rate, spec.meanBurst).pGoodToBad > 1) {
        throw new RangeError(`no two-state model has loss ${spec.rate} with mean burst ${spec.meanBurst}`);
      }
      return new GilbertElliottLoss(spec.rate, spec.meanBurst);
  }
}

function checkRate(rate: number, max: number): void {
  if (!(rate >= 0 && rate <= max)) throw new RangeError(`loss rate must be in 0..${max}, got ${rate}`);
}

/** A short label for reports: "none", "bernoulli 10%", "gilbert-elliott 20% burst 3". */
export function describeLoss(spec: LossSpec): string {
  if (spec.kind === 'none') return 'none';
  const pct = `${Math.round(spec.rate * 1000) / 10}%`;
  return spec.kind === 'bernoulli' ? `bernoulli ${pct}` : `gilbert-elliott ${pct} burst ${spec.meanBurst}`;
}
