import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLossModel, describeLoss, gilbertElliottParams, type LossSpec } from './LossModel.js';
import { mulberry32 } from './mulberry32.js';

/** Runs a model over `n` packets: the drop pattern, the loss rate and the mean burst length. */
function run(spec: LossSpec, seed: number, n: number) {
  const model = createLossModel(spec);
  const rand = mulberry32(seed);
  const pattern = new Uint8Array(n);
  let lost = 0;
  let bursts = 0;
  for (let i = 0; i < n; i++) {
    const drop = model.drop(rand());
    pattern[i] = drop ? 1 : 0;
    if (drop) {
      lost++;
      if (i === 0 || pattern[i - 1] === 0) bursts++;
    }
  }
  return { pattern, rate: lost / n, meanBurst: bursts === 0 ? 0 : lost / bursts };
}

describe('loss models', () => {
  const N = 200_000;
  for (const rate of [0.05, 0.1, 0.2]) {
    it(`Bernoulli ${rate * 100}%: measured rate within ±0.5 points, bursts about 1/(1-p)`, () => {
      const r = run({ kind: 'bernoulli', rate }, 11, N);
      assert.ok(Math.abs(r.rate - rate) < 0.005, `rate ${r.rate}`);
      // Independent losses: runs are geometric with mean 1/(1-p).
      assert.ok(Math.abs(r.meanBurst - 1 / (1 - rate)) < 0.05, `mean burst ${r.meanBurst}`);
    });
  }

  for (const rate of [0.05, 0.1, 0.2]) {
    it(`Gilbert-Elliott ${rate * 100}% with mean burst 3: rate within ±1 point, mean burst 3 ±0.2`, () => {
      const r = run({ kind: 'gilbert-elliott', rate, meanBurst: 3 }, 12, N);
      assert.ok(Math.abs(r.rate - rate) < 0.01, `rate ${r.rate}`);
      assert.ok(Math.abs(r.meanBurst - 3) < 0.2, `mean burst ${r.meanBurst}`);
    });
  }

  it('the same seed gives the same pattern; another seed a different one', () => {
    const spec: LossSpec = { kind: 'gilbert-elliott', rate: 0.2, meanBurst: 3 };
    const a = run(spec, 5, 5000).pattern;
    const b = run(spec, 5, 5000).pattern;
    const c = run(spec, 6, 5000).pattern;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('derives the two-state transition probabilities from loss rate and burst length', () => {
    const { pGoodToBad, pBadToGood } = gilbertElliottParams(0.2, 3);
    assert.ok(Math.abs(pBadToGood - 1 / 3) < 1e-12);
    // Stationary probability of the Bad state equals the loss rate.
    assert.ok(Math.abs(pGoodToBad / (pGoodToBad + pBadToGood) - 0.2) < 1e-12);
  });

  it('rejects impossible parameters and labels specs', () => {
    assert.throws(() => createLossModel({ kind: 'bernoulli', rate: 1.5 }), RangeError);
    assert.throws(() => createLossModel({ kind: 'gilbert-elliott', rate: 0.2, meanBurst: 0.5 }), RangeError);
    assert.throws(() => createLossModel({ kind: 'gilbert-elliott', rate: 0.9, meanBurst: 1 }), RangeError);
    assert.equal(run({ kind: 'none' }, 1, 1000).rate, 0);
    assert.equal(
      describeLoss({ kind: 'gilbert-elliott', rate: 0.2, meanBurst: 3 }),
      'gilbert-elliott 20% burst 3',
    );
    assert.equal(describeLoss({ kind: 'bernoulli', rate: 0.05 }), 'bernoulli 5%');
  });
});
