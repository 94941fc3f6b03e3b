export { buildSenderReport, parseReportBlocks, type ReportBlock, type SenderReportInit } from './rtcp.js';
export { RtpRewriter } from './RtpRewriter.js';
export {
  isRtcp,
  isRtp,
  RTP_HEADER_MIN,
  readPayloadType,
  readSequence,
  readSsrc,
  readTimestamp,
  rtpPayloadOffset,
  seqDelta,
  writeUint32,
} from './rtpPacket.js';
