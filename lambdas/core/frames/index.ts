/** The frame codec (PROTOCOL §1, §2, §3, §6, §7): pure, shared by handlers, local runtime and tests. */
export { parseConnectParams } from './connect-params.js';
export { encodeFrame, SERVER_CONTROLLER } from './encode-frame.js';
export {
  CLIENT_ID_RULE,
  isReservedTopic,
  isValidClientId,
  isValidMessageId,
  isValidName,
  MAX_MESSAGE_ID_LENGTH,
  MESSAGE_ID_RULE,
  NAME_RULE,
  RESERVED_TOPICS,
  type ReservedTopic,
} from './names.js';
export { ACTIONS, MAX_ACK_IDS, parseFrame, TEXT_SUBSCRIBE_QOS, type ParseFrameOptions } from './parse-frame.js';
export { utf8ByteLength } from './utf8.js';
