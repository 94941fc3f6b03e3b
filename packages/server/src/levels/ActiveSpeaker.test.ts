import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from '../room/Channel.js';
import { ActiveSpeakerDetector } from './ActiveSpeaker.js';

interface Fake {
  uid: string;
  visible: boolean;
  muted: boolean;
  level: number;
  producer: { takeLevel(): number } | null;
}

function fake(uid: string): Fake {
  const p: Fake = { uid, visible: true, muted: false, level: 0, producer: null };
  p.producer = { takeLevel: () => p.level };
  return p;
}

function channelOf(...ps: Fake[]): Channel {
  return { participants: () => ps.values() } as unknown as Channel;
}

describe('ActiveSpeakerDetector', () => {
  it('needs two evaluations to switch, keeps a speaking speaker against a slightly louder one', () => {
    const a = fake('a');
    const b = fake('b');
    const ch = channelOf(a, b);
    const d = new ActiveSpeakerDetector();
    const current = () => (d.current as unknown as Fake | null)?.uid ?? null;
    a.level = 80;
    assert.equal(d.evaluate(ch), false);
    assert.equal(d.evaluate(ch), true);
    assert.equal(current(), 'a');
    b.level = 84; // within the margin: a keeps the floor
    for (let i = 0; i < 5; i++) assert.equal(d.evaluate(ch), false);
    b.level = 90; // clearly louder
    assert.equal(d.evaluate(ch), false);
    assert.equal(d.evaluate(ch), true);
    assert.equal(current(), 'b');
    b.level = 10;
    a.level = 10; // nobody above the threshold
    d.evaluate(ch);
    assert.equal(d.evaluate(ch), true);
    assert.equal(current(), null);
  });

  it('ignores muted and invisible publishers, and a one-evaluation blip', () => {
    const a = fake('a');
    const b = fake('b');
    const d = new ActiveSpeakerDetector();
    const ch = channelOf(a, b);
    a.level = 90;
    a.muted = true;
    b.level = 90;
    b.visible = false;
    for (let i = 0; i < 3; i++) assert.equal(d.evaluate(ch), false);
    a.muted = false;
    assert.equal(d.evaluate(ch), false);
    a.level = 0;
    assert.equal(d.evaluate(ch), false); // the blip did not last
    assert.equal(d.current, null);
  });
});
