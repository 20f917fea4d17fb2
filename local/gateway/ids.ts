import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Ids shaped like API Gateway's. Connection ids, request ids and message ids in real events are
 * 16 characters of URL-safe base64 ending in `=` (`L0SM9cOFvHcCIhw=`, `eHrdFcnvvHcCE-w=`), which is
 * what 11 bytes encode to. Code that stores or URL-encodes them (`=` becomes `%3D` in the
 * `@connections` path) meets the same characters locally.
 * See https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
 */
export function apiGatewayId(): string {
  return randomBytes(11).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A Lambda request id (`context.awsRequestId`), a UUID as in Lambda. */
export function lambdaRequestId(): string {
  return randomUUID();
}

/** An X-Ray trace header value as API Gateway adds it: `Root=1-{8 hex time}-{24 hex}`. */
export function traceId(now: number): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}
