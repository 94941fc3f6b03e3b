export {
  buildSenderReport,
  encodeCname,
  findReportBlock,
  parseReportBlocks,
  readSenderInfo,
  type ReportBlock,
  type SenderInfo,
  type SenderReportInit,
  senderReportLength,
  writeSenderReport,
  writeSenderReportNtp,
} from './rtcp.js';
export { redPrimaryOffset, setRedBlockPayloadTypes, stripRed } from './red.js';
export { RECEIVER_REPORT_LENGTH, ReceptionStats } from './ReceptionStats.js';
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
