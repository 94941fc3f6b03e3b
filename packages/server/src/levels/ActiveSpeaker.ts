import type { Channel } from '../room/Channel.js';
import type { Participant } from '../room/Participant.js';

/** Volume (0..100) at and above which a publisher counts as speaking (-60 dBov). */
export const SPEAKING_LEVEL = 40;
/** A challenger must be this much louder than a still-speaking active speaker to take over. */
const TAKEOVER_MARGIN = 6;
/** Consecutive evaluations a new choice must win before it is announced. */
const CONFIRM_TICKS = 2;

/**
 * Chooses a channel's active speaker from its publishers' smoothed levels, with hysteresis: the
 * current speaker keeps the floor while it speaks unless someone is clearly louder, and any change
 * must hold for CONFIRM_TICKS evaluations. Runs on a timer, never per packet.
 */
export class ActiveSpeakerDetector {
  #current: Participant | null = null;
  #candidate: Participant | null = null;
  #candidateTicks = 0;

  get current(): Participant | null {
    return this.#current;
  }

  /** Reads each publisher's level; returns true when the active speaker changed. */
  evaluate(channel: Channel): boolean {
    let loudest: Participant | null = null;
    let loudestLevel = -1;
    let currentLevel = -1;
    for (const p of channel.participants()) {
      const producer = p.producer;
      if (!producer || !p.visible) continue;
      const level = p.muted ? 0 : producer.takeLevel();
      if (p === this.#current) currentLevel = level;
      if (level >= SPEAKING_LEVEL && level > loudestLevel) {
        loudest = p;
        loudestLevel = level;
      }
    }
    let choice: Participant | null = loudest;
    if (this.#current && currentLevel >= SPEAKING_LEVEL && loudestLevel < currentLevel + TAKEOVER_MARGIN)
      choice = this.#current;
    if (choice === this.#current) {
      this.#candidate = null;
      this.#candidateTicks = 0;
      return false;
    }
    if (choice !== this.#candidate) {
      this.#candidate = choice;
      this.#candidateTicks = 0;
    }
    if (++this.#candidateTicks < CONFIRM_TICKS) return false;
    this.#current = choice;
    this.#candidate = null;
    this.#candidateTicks = 0;
    return true;
  }

  /** The participant left: forget it (the next evaluation picks someone else). */
  forget(p: Participant): void {
    if (this.#candidate === p) this.#candidate = null;
  }
}
