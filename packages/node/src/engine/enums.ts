/**
 * The enums of Agora's Electron SDK 4.x that the engine API uses, with the same names and
 * values, so native-style code ports line by line.
 */

/** Channel profile (Patchbay behaves the same in every profile; kept for compatibility). */
export enum ChannelProfileType {
  ChannelProfileCommunication = 0,
  ChannelProfileLiveBroadcasting = 1,
  ChannelProfileGame = 2,
  ChannelProfileCloudGaming = 3,
  ChannelProfileCommunication1v1 = 4,
}

/** A broadcaster publishes; an audience member only listens. */
export enum ClientRoleType {
  ClientRoleBroadcaster = 1,
  ClientRoleAudience = 2,
}

/** Kind of custom audio track: Mixable is mixed with the other tracks, Direct replaces them. */
export enum AudioTrackType {
  AudioTrackInvalid = -1,
  AudioTrackMixable = 0,
  AudioTrackDirect = 1,
}

/** Where pushed audio enters the pipeline (Agora 3.5.1's AudioExternalSourcePos). */
export enum AudioExternalSourcePosition {
  /** Heard locally (sink, playback observers), never sent. */
  AudioExternalPlayoutSource = 0,
  /** Before audio processing: noise suppression runs on it, then it is sent. */
  AudioExternalRecordSourcePreProcess = 1,
  /** After processing: straight to the encoder. The default. */
  AudioExternalRecordSourcePostProcess = 2,
}

export enum AudioFrameType {
  FrameTypePcm16 = 0,
}

/** Bytes per sample of pushed PCM. Patchbay also takes 4: 32-bit float, -1..1. */
export enum BytesPerSample {
  TwoBytesPerSample = 2,
}

/** Observer frame access mode. ReadWrite is accepted, but changes made to frames are not fed back. */
export enum RawAudioFrameOpModeType {
  RawAudioFrameOpModeReadOnly = 0,
  RawAudioFrameOpModeReadWrite = 2,
}

/** Bit mask of observer positions (getObservedAudioFramePosition). */
export enum AudioFramePosition {
  AudioFramePositionNone = 0x0000,
  AudioFramePositionPlayback = 0x0001,
  AudioFramePositionRecord = 0x0002,
  AudioFramePositionMixed = 0x0004,
  AudioFramePositionBeforeMixing = 0x0008,
  AudioFramePositionEarMonitoring = 0x0010,
}

export enum ConnectionStateType {
  ConnectionStateDisconnected = 1,
  ConnectionStateConnecting = 2,
  ConnectionStateConnected = 3,
  ConnectionStateReconnecting = 4,
  ConnectionStateFailed = 5,
}

export enum ConnectionChangedReasonType {
  ConnectionChangedConnecting = 0,
  ConnectionChangedJoinSuccess = 1,
  ConnectionChangedInterrupted = 2,
  ConnectionChangedBannedByServer = 3,
  ConnectionChangedJoinFailed = 4,
  ConnectionChangedLeaveChannel = 5,
  ConnectionChangedInvalidAppId = 6,
  ConnectionChangedInvalidChannelName = 7,
  ConnectionChangedInvalidToken = 8,
  ConnectionChangedTokenExpired = 9,
  ConnectionChangedRejectedByServer = 10,
  ConnectionChangedKeepAliveTimeout = 14,
  ConnectionChangedRejoinSuccess = 15,
  ConnectionChangedLost = 16,
}

export enum UserOfflineReasonType {
  UserOfflineQuit = 0,
  UserOfflineDropped = 1,
  UserOfflineBecomeAudience = 2,
}

/** Numeric error codes passed to onError (the PatchbayError code is in the message). */
export enum ErrorCodeType {
  ErrOk = 0,
  ErrFailed = 1,
  ErrInvalidArgument = 2,
  ErrNotReady = 3,
  ErrNotSupported = 4,
  ErrRefused = 5,
  ErrNotInitialized = 7,
  ErrInvalidState = 8,
  ErrTimedout = 10,
  ErrJoinChannelRejected = 17,
  ErrInvalidAppId = 101,
  ErrInvalidChannelName = 102,
  ErrTokenExpired = 109,
  ErrInvalidToken = 110,
  ErrConnectionInterrupted = 111,
  ErrConnectionLost = 112,
}
