import { PatchbayError } from '@patchbay/client';
import type { LeaveReason, Uid } from '@patchbay/protocol';
import type { NodeClient } from '../NodeClient.js';
import type { AudioFrameObservers } from './AudioFrameObservers.js';
import {
  ConnectionChangedReasonType,
  ConnectionStateType,
  ErrorCodeType,
  UserOfflineReasonType,
} from './enums.js';
import type { IRtcEngineEventHandler, RtcConnection } from './types.js';
import type { VolumeIndicator } from './VolumeIndicator.js';

type Args<K extends keyof IRtcEngineEventHandler> = Parameters<NonNullable<IRtcEngineEventHandler[K]>>;

const OFFLINE_REASON: Record<LeaveReason, UserOfflineReasonType> = {
  Quit: UserOfflineReasonType.UserOfflineQuit,
  ServerTimeOut: UserOfflineReasonType.UserOfflineDropped,
  BecomeAudience: UserOfflineReasonType.UserOfflineBecomeAudience,
  ServerShutdown: UserOfflineReasonType.UserOfflineDropped,
};

const STATE: Record<string, ConnectionStateType | undefined> = {
  DISCONNECTED: ConnectionStateType.ConnectionStateDisconnected,
  CONNECTING: ConnectionStateType.ConnectionStateConnecting,
  CONNECTED: ConnectionStateType.ConnectionStateConnected,
  RECONNECTING: ConnectionStateType.ConnectionStateReconnecting,
};

const ERROR_NUMBER: Record<string, ErrorCodeType> = {
  INVALID_PARAMS: ErrorCodeType.ErrInvalidArgument,
  INVALID_OPERATION: ErrorCodeType.ErrInvalidState,
  NOT_SUPPORTED: ErrorCodeType.ErrNotSupported,
  NETWORK_TIMEOUT: ErrorCodeType.ErrTimedout,
  INVALID_TOKEN: ErrorCodeType.ErrInvalidToken,
  TOKEN_EXPIRED: ErrorCodeType.ErrTokenExpired,
  UID_CONFLICT: ErrorCodeType.ErrJoinChannelRejected,
  WS_ERR: ErrorCodeType.ErrConnectionLost,
  ENGINE_NOT_INITIALIZED: ErrorCodeType.ErrNotInitialized,
};

/** A numeric uid for the native-style callbacks (string uids, which the engine never uses itself, become 0). */
export function numericUid(uid: Uid): number {
  return typeof uid === 'number' ? uid : 0;
}

/**
 * The engine's registered event handlers, and the mapping from NodeClient events to the
 * native callbacks. A handler that throws is reported and never breaks the engine.
 */
export class EngineEvents {
  readonly #handlers: IRtcEngineEventHandler[] = [];

  add(handler: IRtcEngineEventHandler): void {
    if (typeof handler !== 'object' || handler === null) {
      throw PatchbayError.invalidParams('registerEventHandler() takes an object of on… callbacks');
    }
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
  }

  remove(handler: IRtcEngineEventHandler): boolean {
    const i = this.#handlers.indexOf(handler);
    if (i >= 0) this.#handlers.splice(i, 1);
    return i >= 0;
  }

  emit<K extends keyof IRtcEngineEventHandler>(name: K, ...args: Args<K>): void {
    for (const handler of [...this.#handlers]) {
      const fn = handler[name] as ((...a: Args<K>) => void) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        fn.apply(handler, args);
      } catch (error) {
        console.error(`[patchbay] event handler ${name} threw`, error);
      }
    }
  }

  /** onError(err, msg) for a failure; the message starts with the PatchbayError code. */
  reportError(error: unknown): void {
    const code = error instanceof PatchbayError ? error.code : 'INTERNAL_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    this.emit('onError', ERROR_NUMBER[code] ?? ErrorCodeType.ErrFailed, `${code}: ${message}`);
  }

  /** Maps the client's events to the native callbacks, and feeds remote audio to observers and the volume indicator. */
  attach(
    client: NodeClient,
    observers: AudioFrameObservers,
    volume: () => VolumeIndicator | null,
    autoSubscribe: () => boolean,
    token: () => string,
  ): void {
    const connection = (): RtcConnection => ({
      channelId: client.channelName ?? '',
      localUid: client.uid === null ? 0 : numericUid(client.uid),
    });
    let joinedAt = 0;
    client.on('user-joined', (user) =>
      this.emit('onUserJoined', connection(), numericUid(user.uid), Date.now() - joinedAt),
    );
    client.on('user-left', (user, reason) => {
      const uid = numericUid(user.uid);
      observers.removeUser(uid);
      volume()?.removeUser(uid);
      this.emit(
        'onUserOffline',
        connection(),
        uid,
        OFFLINE_REASON[reason] ?? UserOfflineReasonType.UserOfflineQuit,
      );
    });
    client.on('user-published', (user) => {
      if (!autoSubscribe()) return;
      const uid = numericUid(user.uid);
      client
        .subscribe(user, 'audio')
        .then((track) =>
          track.onAudioFrame((frame) => {
            if (observers.wantsBeforeMixing) observers.onBeforeMixing(uid, frame);
            volume()?.onRemote(uid, frame);
          }),
        )
        .catch((error: unknown) => {
          if (client.connectionState === 'CONNECTED') this.reportError(error);
        });
    });
    // Token expiry arrives with the token work in the client core; wired by name so this builds either way.
    const loose = client as unknown as { on(event: string, listener: (...args: unknown[]) => void): void };
    loose.on('token-privilege-will-expire', () =>
      this.emit('onTokenPrivilegeWillExpire', connection(), token()),
    );
    client.on('reconnected', () => this.emit('onRejoinChannelSuccess', connection(), Date.now() - joinedAt));
    client.on('reconnect-failed', () => this.emit('onConnectionLost', connection()));
    client.on('connection-state-change', (current, previous, reason) => {
      if (current === 'CONNECTING') joinedAt = Date.now();
      const state = STATE[current];
      if (state === undefined) return;
      let why = ConnectionChangedReasonType.ConnectionChangedConnecting;
      if (current === 'CONNECTED')
        why =
          previous === 'RECONNECTING'
            ? ConnectionChangedReasonType.ConnectionChangedRejoinSuccess
            : ConnectionChangedReasonType.ConnectionChangedJoinSuccess;
      if (current === 'RECONNECTING') why = ConnectionChangedReasonType.ConnectionChangedInterrupted;
      if (current === 'DISCONNECTED') {
        why =
          reason === 'LEAVE'
            ? ConnectionChangedReasonType.ConnectionChangedLeaveChannel
            : reason === 'SERVER_ERROR'
              ? ConnectionChangedReasonType.ConnectionChangedRejectedByServer
              : reason === 'NETWORK_ERROR'
                ? ConnectionChangedReasonType.ConnectionChangedInterrupted
                : ConnectionChangedReasonType.ConnectionChangedJoinFailed;
      }
      this.emit('onConnectionStateChanged', connection(), state, why);
    });
  }
}
