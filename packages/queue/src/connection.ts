import { Redis, type RedisOptions } from "ioredis";
import { KpuError } from "@kpu/ir";

/** How to connect: the fields both ioredis and BullMQ take. */
export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: object;
  readonly maxRetriesPerRequest: null;
}

/** A Redis server named by a URL, with the password hidden for messages. */
export interface RedisTarget {
  readonly url: string;
  /** The URL as messages show it: the password replaced by ***. */
  readonly shown: string;
  readonly options: ConnectionSettings;
}

/** A plain ioredis client for kpu's own keys (BullMQ opens its own connections). */
export function redisClient(target: RedisTarget, extra: RedisOptions = {}): Redis {
  const client = new Redis({ ...(target.options as RedisOptions), ...extra });
  client.on("error", () => undefined); // reconnects by itself; commands wait (maxRetriesPerRequest null)
  return client;
}

/** Parses `redis://[user[:password]@]host[:port][/db]` (or rediss:// for TLS); anything else is KPU_QUEUE_BAD_URL. */
export function parseRedisUrl(url: string, flag = "--redis"): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KpuError("KPU_QUEUE_BAD_URL", `"${url}" is not a redis:// or rediss:// URL`, { where: flag });
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new KpuError("KPU_QUEUE_BAD_URL", `"${url}" is not a redis:// or rediss:// URL (it is ${u.protocol})`, { where: flag });
  }
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) throw new KpuError("KPU_QUEUE_BAD_URL", `"${url}" names database "${db}", not a number`, { where: flag });
  const shown = u.password === "" ? url : url.replace(`:${u.password}@`, ":***@");
  const options: ConnectionSettings = {
    host: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: u.port === "" ? 6379 : Number(u.port),
    ...(u.username !== "" ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== "" ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== "" ? { db: Number(db) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // BullMQ's blocking connections must wait out a Redis restart instead of failing commands
    maxRetriesPerRequest: null,
  };
  return { url, shown, options };
}

/** The KpuError for a Redis failure: a refused password is input (exit 2), anything else the environment (exit 4). */
export function redisError(target: RedisTarget, cause: unknown, flag = "--redis"): KpuError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new KpuError("KPU_QUEUE_AUTH", `Redis at ${target.shown} refused the connection's password (${message.split("\n")[0]})`, { where: flag, cause });
  }
  return new KpuError("KPU_QUEUE_UNREACHABLE", `cannot reach Redis at ${target.shown} (${message.split("\n")[0]})`, { where: flag, cause });
}

/**
 * Opens a connection and checks it with PING within `timeoutMs` (default 3 s): an unreachable server or a refused
 * password is a KpuError naming the URL before any work starts. The caller quits the returned client.
 */
export async function connectChecked(target: RedisTarget, timeoutMs = 3_000, flag = "--redis"): Promise<Redis> {
  const client = redisClient(target, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  let first: unknown;
  client.on("error", (e) => (first ??= e)); // the socket's own error (ECONNREFUSED), before "Connection is closed"
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (cause) {
    client.disconnect();
    throw redisError(target, first ?? cause, flag);
  }
}
