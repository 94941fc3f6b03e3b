import type {
  AudioExternalSourcePosition,
  AudioFrameType,
  ChannelProfileType,
  ClientRoleType,
  ConnectionChangedReasonType,
  ConnectionStateType,
  ErrorCodeType,
  RawAudioFrameOpModeType,
  UserOfflineReasonType,
} from './enums.js';

/** A block of PCM, as Agora's Electron SDK defines it. `buffer` holds `samplesPerChannel * channels * bytesPerSample` bytes. */
export interface AudioFrame {
  type?: AudioFrameType;
  /** Samples per channel in `buffer`. */
  samplesPerChannel?: number;
  /** 2 (16-bit little-endian); Patchbay also takes 4 (32-bit float, -1..1). */
  bytesPerSample?: number;
  /** 1 or 2 (interleaved). */
  channels?: number;
  /** 8000, 16000, 32000, 44100 or 48000. */
  samplesPerSec?: number;
  buffer?: Uint8Array | Int16Array | Float32Array;
  /** Optional, ms; used for nothing but reporting: it never paces or reorders playout. */
  renderTimeMs?: number;
  avsync_type?: number;
  presentationMs?: number;
  audioTrackNumber?: number;
  rtpTimestamp?: number;
}

/** Options of createCustomAudioTrack(). */
export interface AudioTrackConfig {
  /** Heard locally (in the sink and playback observers). Default true. */
  enableLocalPlayback?: boolean;
  /** Run noise suppression (RNNoise) before sending: the "before processing" position. Default false. */
  enableAudioProcessing?: boolean;
  /** Patchbay: where pushed audio enters. Default AudioExternalRecordSourcePostProcess (PreProcess with enableAudioProcessing). */
  position?: AudioExternalSourcePosition;
  /** Patchbay: queue size before back-pressure, ms; 0 is the synchronous mode (whole 10 ms pushes, sent inside the push). Default: the engine's. */
  bufferMs?: number;
  /** Patchbay: fix the track's format now (else the first push fixes it). */
  sampleRate?: number;
  channels?: 1 | 2;
}

/** Options of joinChannel() and updateChannelMediaOptions(). Unset fields keep their value. */
export interface ChannelMediaOptions {
  /** Send custom audio. Default true. */
  publishCustomAudioTrack?: boolean;
  /** The custom track to send. A Direct track is then sent alone; a Mixable one (or none) sends every publishing Mixable track. */
  publishCustomAudioTrackId?: number;
  /** Node has no microphone: accepted and ignored, except that a Direct track requires false, as in Agora. */
  publishMicrophoneTrack?: boolean;
  /** Subscribe to everyone's audio as they publish. Default true. */
  autoSubscribeAudio?: boolean;
  /** Default ClientRoleBroadcaster. */
  clientRoleType?: ClientRoleType;
  channelProfile?: ChannelProfileType;
  /** Run the local playback path (sink, playback observers). Default true. */
  enableAudioRecordingOrPlayout?: boolean;
  token?: string;
}

/** Options of initialize(). */
export interface RtcEngineContext {
  appId?: string;
  channelProfile?: ChannelProfileType;
  /** Patchbay: WebSocket URL of the server. Default env PATCHBAY_SERVER, else ws://127.0.0.1:7080. */
  server?: string;
  /** Patchbay: default queue size of custom tracks, ms (0 = synchronous). Default 200. */
  audioBufferMs?: number;
  /** Patchbay: how long a signaling request may take, ms. Default 10000. */
  requestTimeoutMs?: number;
}

export interface RtcConnection {
  channelId?: string;
  localUid?: number;
}

export interface AudioVolumeInfo {
  uid?: number;
  /** 0..255. */
  volume?: number;
  vad?: number;
  voicePitch?: number;
}

/** The engine's callbacks (all optional); register with registerEventHandler(). */
export interface IRtcEngineEventHandler {
  onJoinChannelSuccess?(connection: RtcConnection, elapsed: number): void;
  onLeaveChannel?(connection: RtcConnection, stats: { duration?: number }): void;
  onUserJoined?(connection: RtcConnection, remoteUid: number, elapsed: number): void;
  onUserOffline?(connection: RtcConnection, remoteUid: number, reason: UserOfflineReasonType): void;
  onError?(err: ErrorCodeType, msg: string): void;
  /** The connection was lost and is back (resumed, or rejoined and republished); `elapsed`: ms since joinChannel. */
  onRejoinChannelSuccess?(connection: RtcConnection, elapsed: number): void;
  /** Reconnection gave up (the client is disconnected; join again). */
  onConnectionLost?(connection: RtcConnection): void;
  onConnectionStateChanged?(
    connection: RtcConnection,
    state: ConnectionStateType,
    reason: ConnectionChangedReasonType,
  ): void;
  onAudioVolumeIndication?(
    connection: RtcConnection,
    speakers: AudioVolumeInfo[],
    speakerNumber: number,
    totalVolume: number,
  ): void;
  /** Declared for compatibility; fired once the server reports token expiry. */
  onTokenPrivilegeWillExpire?(connection: RtcConnection, token: string): void;
  /** Patchbay: a custom track's queue has room again after back-pressure. */
  onCustomAudioTrackDrain?(trackId: number): void;
}

/** Raw audio observer; each callback gets frames in the format set by the matching set…Parameters(). */
export interface IAudioFrameObserver {
  onRecordAudioFrame?(channelId: string, audioFrame: AudioFrame): boolean | void;
  onPlaybackAudioFrame?(channelId: string, audioFrame: AudioFrame): boolean | void;
  onMixedAudioFrame?(channelId: string, audioFrame: AudioFrame): boolean | void;
  onPlaybackAudioFrameBeforeMixing?(channelId: string, uid: number, audioFrame: AudioFrame): boolean | void;
}
