import { readFile } from 'node:fs/promises';
import type { BatchMessage } from '../client/publish-batch.js';
import { UsageError } from './options.js';

/**
 * Reads `qosgate publish --batch <file.jsonl|->`: one message per line, as JSON. A line that is
 * an object with `data` is a message (`controller` and `topic` default to the command's, and
 * `retain`, `expiry` may be given); any other JSON value is the data of a message to the
 * default controller and topic. Blank lines are skipped; a line that is not JSON is a usage
 * error naming its line number, before anything is sent.
 */
export function parseBatchLines(text: string, defaults: { controller: string; topic: string }): BatchMessage[] {
  const messages: BatchMessage[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineText = raw.trim();
    if (lineText === '') return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch {
      throw new UsageError(`--batch line ${index + 1} is not JSON: ${lineText.slice(0, 60)}`);
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'data')) {
      const m = value as Record<string, unknown>;
      messages.push({
        controller: typeof m.controller === 'string' ? m.controller : defaults.controller,
        topic: typeof m.topic === 'string' ? m.topic : defaults.topic,
        data: m.data,
        ...(m.retain === true ? { retain: true } : {}),
        ...(typeof m.expiry === 'number' ? { expiry: m.expiry } : {}),
      });
    } else messages.push({ ...defaults, data: value });
  });
  if (messages.length === 0) throw new UsageError('--batch has no messages');
  return messages;
}

/** The file's text, or stdin's for `-`. */
export async function readBatchSource(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (source !== '-') return readFile(source, 'utf8');
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}
