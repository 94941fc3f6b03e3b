export {
  buildSenderReport,
  encodeCname,
  findReportBlock,
  parseReportBlocks,
  RECEIVER_REPORT_LENGTH,
  readSenderInfo,
  type ReportBlock,
  type SenderInfo,
  type SenderReportInit,
  senderReportLength,
  writeReceiverReport,
  writeSenderReport,
  writeSenderReportNtp,
} from './rtcp.js';
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
