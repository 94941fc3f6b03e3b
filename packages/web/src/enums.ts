/** The Web SDK NG's enums that pages pass around (values as in agora-rtc-sdk-ng 4.x). */

export enum AudienceLatencyLevelType {
  AUDIENCE_LEVEL_LOW_LATENCY = 1,
  AUDIENCE_LEVEL_ULTRA_LOW_LATENCY = 2,
  AUDIENCE_LEVEL_SYNC_LATENCY = 3,
}

export enum RemoteStreamType {
  HIGH_STREAM = 0,
  LOW_STREAM = 1,
}

export enum RemoteStreamFallbackType {
  DISABLE = 0,
  LOW_STREAM = 1,
  AUDIO_ONLY = 2,
}

export enum ConnectionDisconnectedReason {
  LEAVE = 'LEAVE',
  NETWORK_ERROR = 'NETWORK_ERROR',
  SERVER_ERROR = 'SERVER_ERROR',
  UID_BANNED = 'UID_BANNED',
  IP_BANNED = 'IP_BANNED',
  CHANNEL_BANNED = 'CHANNEL_BANNED',
  FALLBACK = 'FALLBACK',
}

export enum AREAS {
  CHINA = 'CHINA',
  ASIA = 'ASIA',
  NORTH_AMERICA = 'NORTH_AMERICA',
  EUROPE = 'EUROPE',
  JAPAN = 'JAPAN',
  INDIA = 'INDIA',
  KOREA = 'KOREA',
  HKMC = 'HKMC',
  US = 'US',
  OCEANIA = 'OCEANIA',
  SOUTH_AMERICA = 'SOUTH_AMERICA',
  AFRICA = 'AFRICA',
  OVERSEA = 'OVERSEA',
  GLOBAL = 'GLOBAL',
  EXTENSIONS = 'EXTENSIONS',
}
