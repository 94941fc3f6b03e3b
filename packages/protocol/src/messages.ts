import { z } from 'zod';
import { ERROR_CODES } from './errorCodes.js';

/** A user id: a uint32 number or a string of 1..255 characters. */
export const uidSchema = z.union([z.number().int().min(0).max(0xffffffff), z.string().min(1).max(255)]);
export type Uid = z.infer<typeof uidSchema>;

const id = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sdp = z
  .string()
  .min(1)
  .max(32 * 1024);
const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w!#$%&()+\-:;<=.>?@[\]^{|}~, ]+$/u);

export const roleSchema = z.enum(['host', 'audience']);
export type Role = z.infer<typeof roleSchema>;

/** "rtc": everyone is a host. "live": hosts publish, the audience only listens and is not announced. */
export const channelModeSchema = z.enum(['rtc', 'live']);
export type ChannelMode = z.infer<typeof channelModeSchema>;

/** A token privilege with its own expiry. */
export const privilegeSchema = z.enum(['join', 'publishAudio']);
export type Privilege = z.infer<typeof privilegeSchema>;

export const leaveReasonSchema = z.enum(['Quit', 'ServerTimeOut', 'BecomeAudience', 'ServerShutdown']);
export type LeaveReason = z.infer<typeof leaveReasonSchema>;

export const mediaTypeSchema = z.literal('audio');
export type MediaType = z.infer<typeof mediaTypeSchema>;

/** What a participant looks like to the others. */
export const userInfoSchema = z.object({
  uid: uidSchema,
  hasAudio: z.boolean(),
  /** True while the user publishes but has muted its audio (setMuted). Absent means false. */
  muted: z.boolean().optional(),
});
export type UserInfo = z.infer<typeof userInfoSchema>;

// ---- client -> server requests -------------------------------------------------------------

export const joinRequestSchema = z.object({
  type: z.literal('join'),
  id,
  appId: z.string().min(1).max(128),
  channel: name,
  token: z.string().max(4096).nullable(),
  uid: uidSchema.nullable(),
  /** Default "host" in rtc mode, "audience" in live mode. */
  role: roleSchema.optional(),
  protocol: z.number().int().optional(),
  /** Default "rtc". */
  mode: channelModeSchema.optional(),
});
export const publishRequestSchema = z.object({ type: z.literal('publish'), id, sdp });
export const unpublishRequestSchema = z.object({ type: z.literal('unpublish'), id });
export const subscribeRequestSchema = z.object({ type: z.literal('subscribe'), id, uid: uidSchema });
export const unsubscribeRequestSchema = z.object({ type: z.literal('unsubscribe'), id, uid: uidSchema });
/** The client's answer to a subscriber offer the server sent in a subscribe result. */
export const answerRequestSchema = z.object({ type: z.literal('answer'), id, sdp });
export const leaveRequestSchema = z.object({ type: z.literal('leave'), id });
export const pingRequestSchema = z.object({ type: z.literal('ping'), id });
/** Replaces the session's token without reconnecting; it must name the same app, channel and uid. */
export const renewTokenRequestSchema = z.object({
  type: z.literal('renewToken'),
  id,
  token: z.string().min(1).max(4096),
});
/** The published audio was muted or unmuted (it keeps flowing as silence); others get user-info-updated. */
export const muteRequestSchema = z.object({ type: z.literal('mute'), id, muted: z.boolean() });
/** Live mode: switch between host and audience. An audience is not announced to the others. */
export const setRoleRequestSchema = z.object({ type: z.literal('setRole'), id, role: roleSchema });
/**
 * The client's subscriber connection failed (its network changed, ICE gave up): the server drops
 * its side, every subscription included; the client then subscribes again on a new connection.
 */
export const resetSubscriberRequestSchema = z.object({ type: z.literal('resetSubscriber'), id });
/**
 * After the WebSocket dropped: re-attach to the session that `join` returned, whose media
 * connections the server kept for its grace period. Fails with SESSION_NOT_FOUND when the
 * session is gone (grace expired, server restarted): join again.
 */
export const resumeRequestSchema = z.object({
  type: z.literal('resume'),
  id,
  sessionId: z.string().min(16).max(128),
  protocol: z.number().int().optional(),
});

export const clientMessageSchema = z.discriminatedUnion('type', [
  joinRequestSchema,
  publishRequestSchema,
  unpublishRequestSchema,
  subscribeRequestSchema,
  unsubscribeRequestSchema,
  answerRequestSchema,
  leaveRequestSchema,
  pingRequestSchema,
  renewTokenRequestSchema,
  setRoleRequestSchema,
  muteRequestSchema,
  resumeRequestSchema,
  resetSubscriberRequestSchema,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = clientMessageSchema.options.map(
  (o) => o.shape.type.value,
);

// ---- server -> client ----------------------------------------------------------------------

export const joinResultSchema = z.object({
  uid: uidSchema,
  channel: z.string(),
  users: z.array(userInfoSchema),
  /** Secret handle for `resume` after a dropped WebSocket. Absent from servers that cannot resume. */
  sessionId: z.string().optional(),
});
export const publishResultSchema = z.object({ sdp });
export const subscribeResultSchema = z.object({
  /** The subscriber-connection m-line that will carry this user's audio. */
  mid: z.string(),
  /** Present when the subscriber connection had to be (re)negotiated: answer it with `answer`. */
  offer: sdp.optional(),
});
const emptyResult = z.object({});

/** Result payload schema for each request type. */
export const resultSchemas = {
  join: joinResultSchema,
  publish: publishResultSchema,
  unpublish: emptyResult,
  subscribe: subscribeResultSchema,
  unsubscribe: emptyResult,
  answer: emptyResult,
  leave: emptyResult,
  ping: emptyResult,
  renewToken: emptyResult,
  setRole: emptyResult,
  mute: emptyResult,
  /** The session as it is now (users present, with their state), as for a join. */
  resume: joinResultSchema,
  resetSubscriber: emptyResult,
} as const satisfies Record<ClientMessageType, z.ZodType>;

export type ResultOf<T extends ClientMessageType> = z.infer<(typeof resultSchemas)[T]>;
export type RequestOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
/** A request as the caller writes it: without `type` and `id`, which the signaling client adds. */
export type RequestParams<T extends ClientMessageType> = Omit<RequestOf<T>, 'type' | 'id'>;

export const resultMessageSchema = z.object({
  type: z.literal('result'),
  id,
  data: z.record(z.string(), z.unknown()),
});
export const errorMessageSchema = z.object({
  type: z.literal('error'),
  /** The id of the request that failed, or null when it could not be read. */
  id: id.nullable(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
  /**
   * With code REDIRECT (cluster): the WebSocket URL of the node that owns the channel. The
   * client connects there and sends the same request again.
   */
  redirect: z.string().min(1).max(2048).optional(),
});
export const userJoinedSchema = z.object({ type: z.literal('user-joined'), user: userInfoSchema });
export const userLeftSchema = z.object({
  type: z.literal('user-left'),
  uid: uidSchema,
  reason: leaveReasonSchema,
});
export const userPublishedSchema = z.object({
  type: z.literal('user-published'),
  uid: uidSchema,
  mediaType: mediaTypeSchema,
});
export const userUnpublishedSchema = z.object({
  type: z.literal('user-unpublished'),
  uid: uidSchema,
  mediaType: mediaTypeSchema,
});
/** The server is closing this session (shutdown, kicked); the socket closes next. */
export const byeSchema = z.object({ type: z.literal('bye'), reason: leaveReasonSchema, message: z.string() });

/** Sent once, `warnSeconds` (30 s by default) before a privilege expires: renew the token now. */
export const tokenWillExpireSchema = z.object({
  type: z.literal('token-privilege-will-expire'),
  privilege: privilegeSchema,
  /** Unix seconds. */
  expiresAt: z.number(),
});
/**
 * A privilege expired. For `join` the server closes the session next (bye); for `publishAudio`
 * it has stopped the participant's publishing.
 */
export const tokenDidExpireSchema = z.object({
  type: z.literal('token-privilege-did-expire'),
  privilege: privilegeSchema,
});

/** Another user's published audio was muted or unmuted. */
export const userInfoUpdatedSchema = z.object({
  type: z.literal('user-info-updated'),
  uid: uidSchema,
  msg: z.enum(['mute-audio', 'unmute-audio']),
});

/**
 * The channel's loudest speaker changed (from the publishers' RFC 6464 audio levels, evaluated a
 * few times a second with hysteresis). `uid` is null when nobody speaks.
 */
export const activeSpeakerSchema = z.object({
  type: z.literal('active-speaker'),
  uid: uidSchema.nullable(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  resultMessageSchema,
  errorMessageSchema,
  userJoinedSchema,
  userLeftSchema,
  userPublishedSchema,
  userUnpublishedSchema,
  byeSchema,
  tokenWillExpireSchema,
  tokenDidExpireSchema,
  userInfoUpdatedSchema,
  activeSpeakerSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type ResultMessage = z.infer<typeof resultMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type ServerNotification = Exclude<ServerMessage, ResultMessage | ErrorMessage>;
