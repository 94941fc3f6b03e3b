/**
 * Per-subscriber RED (RFC 2198) switch. RED protects against loss, but a libwebrtc receiver's
 * jitter buffer holds about 15 ms more audio while it gets RED at 20 ms packets (measured:
 * push-to-ear p50 99.7 vs 77.4 ms, mean jitter-buffer delay 50 vs 35 ms), so a subscriber whose
 * link loses nothing gets plain Opus (the primary block) and one that reports loss gets RED.
 *
 * Driven by the subscriber's receiver reports (about one a second to five seconds apart; not the
 * hot path). Their loss fraction is end to end: the SFU keeps the publisher's sequence gaps, so
 * uplink loss that only RED can repair also turns it on. RED never hides loss from the report
 * (a packet rebuilt from redundancy still counts as lost), so the switch does not oscillate.
 */

/** RED goes on when a report shows at least this loss fraction (~2 %: 5 of 256). */
export const RED_ON_LOSS = 5 / 256;
/** It goes off only after reports below this fraction (~0.4 %) for RED_HOLD_MS. */
export const RED_OFF_LOSS = 1 / 256;
/** How long reports must stay clean before RED goes off again. */
export const RED_HOLD_MS = 15000;

export class RedSwitch {
  /** Whether this subscriber gets RED now (only where its answer accepted RED). */
  on = false;
  /** When the last report at or above RED_OFF_LOSS arrived (ms, performance clock). */
  #lastLossyAtMs = -Infinity;

  /** Takes one receiver report's loss fraction (0..1); returns whether the state changed. */
  onReport(fractionLost: number, nowMs: number): boolean {
    if (fractionLost >= RED_OFF_LOSS) this.#lastLossyAtMs = nowMs;
    const next = this.on ? nowMs - this.#lastLossyAtMs < RED_HOLD_MS : fractionLost >= RED_ON_LOSS;
    if (next === this.on) return false;
    this.on = next;
    return true;
  }

  /** Back to plain Opus (the m-line is reused for another publisher). */
  reset(): void {
    this.on = false;
    this.#lastLossyAtMs = -Infinity;
  }
}
