import type { LeaveReason, ServerNotification, Uid, UserInfo } from '@patchbay/protocol';
import { ErrorCode } from '@patchbay/protocol';
import { ServerError } from '../errors.js';
import { ActiveSpeakerDetector } from '../levels/ActiveSpeaker.js';
import { type Participant, uidKey } from './Participant.js';

/** A channel: its participants and the notifications between them. Owns no media itself. */
export class Channel {
  readonly appId: string;
  readonly name: string;
  readonly #participants = new Map<string, Participant>();
  readonly #speakers = new ActiveSpeakerDetector();

  constructor(appId: string, name: string) {
    this.appId = appId;
    this.name = name;
  }

  get size(): number {
    return this.#participants.size;
  }

  participants(): IterableIterator<Participant> {
    return this.#participants.values();
  }

  /** A uid for a participant who asked for none: a uint32 not used in this channel. */
  assignUid(): number {
    for (;;) {
      const uid = 1 + Math.floor(Math.random() * 0xfffffffe);
      if (!this.#participants.has(uidKey(uid))) return uid;
    }
  }

  has(uid: Uid): boolean {
    return this.#participants.has(uidKey(uid));
  }

  /** A participant the others can see (an audience member is not one). */
  get(uid: Uid): Participant {
    const p = this.#participants.get(uidKey(uid));
    if (!p || !p.visible)
      throw new ServerError(
        ErrorCode.INVALID_REMOTE_USER,
        `user ${String(uid)} is not in channel "${this.name}"`,
      );
    return p;
  }

  /** Adds `participant` and tells the others. Returns who was already here, for the join result. */
  add(participant: Participant): UserInfo[] {
    if (this.#participants.has(participant.key)) {
      throw new ServerError(
        ErrorCode.UID_CONFLICT,
        `uid ${String(participant.uid)} is already in channel "${this.name}"`,
      );
    }
    const present = [...this.#participants.values()].filter((p) => p.visible).map(info);
    this.#participants.set(participant.key, participant);
    if (participant.visible) this.broadcast({ type: 'user-joined', user: info(participant) }, participant);
    return present;
  }

  /** The users `participant` sees (the others that are visible), as in a join result. */
  usersFor(participant: Participant): UserInfo[] {
    return [...this.#participants.values()].filter((p) => p !== participant && p.visible).map(info);
  }

  /** Removes `participant`, releases its media and tells the others. */
  remove(participant: Participant, reason: LeaveReason): void {
    if (this.#participants.get(participant.key) !== participant) return;
    this.#participants.delete(participant.key);
    this.#speakers.forget(participant);
    const wasPublishing = participant.producer !== null;
    participant.close(reason);
    if (wasPublishing) this.broadcast({ type: 'user-unpublished', uid: participant.uid, mediaType: 'audio' });
    if (participant.visible) this.broadcast({ type: 'user-left', uid: participant.uid, reason });
  }

  /** Tells the others a participant became visible (host) or invisible (audience). */
  announceRole(participant: Participant): void {
    if (participant.visible) this.broadcast({ type: 'user-joined', user: info(participant) }, participant);
    else this.broadcast({ type: 'user-left', uid: participant.uid, reason: 'BecomeAudience' }, participant);
  }

  /** The participant chosen as active speaker, or null. */
  get activeSpeaker(): Participant | null {
    return this.#speakers.current;
  }

  /** Called on the level timer: announces `active-speaker` when the loudest speaker changed. */
  updateActiveSpeaker(): void {
    if (this.#speakers.evaluate(this)) {
      this.broadcast({ type: 'active-speaker', uid: this.#speakers.current?.uid ?? null });
    }
  }

  broadcast(message: ServerNotification, except?: Participant): void {
    for (const p of this.#participants.values()) if (p !== except) p.link.notify(message);
  }
}

function info(p: Participant): UserInfo {
  return p.muted
    ? { uid: p.uid, hasAudio: p.producer !== null, muted: true }
    : { uid: p.uid, hasAudio: p.producer !== null };
}
