import type { Uid } from '@patchbay/protocol';

/** Another participant of the channel, as the SDKs expose it. The same object lives as long as the user stays. */
export interface RemoteUser<TTrack> {
  readonly uid: Uid;
  /** Whether the user publishes audio now. */
  hasAudio: boolean;
  /** Always false: Patchbay carries audio only. */
  readonly hasVideo: false;
  /** Set by subscribe(user, "audio"); cleared when the user unpublishes or you unsubscribe. */
  audioTrack?: TTrack;
}

export function userKey(uid: Uid): string {
  return typeof uid === 'number' ? `n:${uid}` : `s:${uid}`;
}
