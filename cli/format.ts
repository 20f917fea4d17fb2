import type { InboundMessage } from '../client/handlers.js';

/**
 * One line per message, stable so people and scripts can read it:
 * `monitor/temp 21.5 qos=1 id=mwr3 dup=false` (`retained` appended when it is a kept value,
 * `expiry=17` when the message has an expiry: the seconds it had left, PROTOCOL §4).
 */
export function formatMessage(message: InboundMessage): string {
  const parts = [`${message.controller}/${message.topic}`, JSON.stringify(message.data) ?? 'null', `qos=${message.qos}`];
  if (message.id !== undefined) parts.push(`id=${message.id}`);
  parts.push(`dup=${message.dup}`);
  if (message.retained) parts.push('retained');
  if (message.expiry !== undefined) parts.push(`expiry=${message.expiry}`);
  return parts.join(' ');
}
