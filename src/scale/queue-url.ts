/**
 * The address of the job queue, `redis://[USER:PASSWORD@]HOST[:PORT][/DB]`
 * (`rediss://` for TLS), parsed once with errors that name the option, and
 * turned into the connection options BullMQ hands to ioredis.
 */
import { DilemmaError, ErrorCode } from '../errors.js';

/** A parsed queue address. */
export interface QueueAddress {
  /** Host name or IP address. */
  host: string;
  /** TCP port (6379 when the address gives none). */
  port: number;
  /** Redis database number. */
  db: number;
  /** ACL user name, when the address gives one. */
  username?: string;
  /** Password, when the address gives one. */
  password?: string;
  /** TLS (`rediss://`). */
  tls: boolean;
  /** The address with any password hidden, for messages and logs. */
  display: string;
}

const MAX_DB = 2 ** 31 - 1;

/**
 * Parses a queue address. Errors are ERR_INVALID_ARGUMENT and name `param`
 * (e.g. `--queue`): another scheme, no host, a port outside 1..65535, a
 * database that is not a non-negative integer, or a query or fragment.
 */
export function parseQueueUrl(text: unknown, param = '--queue'): QueueAddress {
  const fail = (why: string): never => {
    throw new DilemmaError(ErrorCode.InvalidArgument, `${param}: ${why}; expected redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0`);
  };
  if (typeof text !== 'string' || text.trim() === '') return fail('the queue address is missing');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^rediss?:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/.exec(text)?.[1];
    return fail(port !== undefined && Number(port) > 65535 ? `port ${port} is outside 1..65535` : `'${text}' is not an address`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail(`'${url.protocol.replace(/:$/, '')}' is not a Redis scheme (redis or rediss)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) fail(`'${text}' names no host`);
  let port = 6379;
  if (url.port !== '') {
    port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port ${url.port} is outside 1..65535`);
  }
  // URL parsing already refuses ports past 65535 and port 0 stays '0'.
  if (url.port === '0') fail('port 0 is outside 1..65535');
  let db = 0;
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') {
    if (!/^\d+$/.test(path) || Number(path) > MAX_DB) fail(`database '${path}' is not a non-negative integer`);
    db = Number(path);
  }
  if (url.search || url.hash) fail('query strings and fragments are not supported');
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const auth = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  const hostText = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: url.protocol === 'rediss:',
    display: `${url.protocol}//${auth}${hostText}:${port}/${db}`,
  };
}

/** How a connection behaves when Redis goes away. */
export type ConnectionRole = 'worker' | 'client';

/**
 * ioredis options for an address. A worker waits for Redis for ever (BullMQ
 * requires `maxRetriesPerRequest: null` for workers) and reconnects with a
 * capped back-off, so that a Redis restart only pauses it; a client (sweep,
 * status) gives up after a few seconds, so that a wrong address is reported
 * instead of hanging.
 */
export function redisOptions(address: QueueAddress, role: ConnectionRole): Record<string, unknown> {
  const common = {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    ...(address.tls ? { tls: {} } : {}),
  };
  if (role === 'worker') {
    return { ...common, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(200 * times, 5000) };
  }
  return {
    ...common,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (times: number) => (times > 3 ? null : 300 * times),
  };
}
