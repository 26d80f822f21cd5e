/**
 * `longhaul codec-server`: Temporal's remote codec protocol over HTTP, so the Web UI and the CLI
 * (`temporal workflow show --codec-endpoint http://127.0.0.1:8089`) can show encrypted payloads in clear.
 * POST /encode and POST /decode take and return `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`
 * (the protobuf JSON of Payloads); the browser's preflight is answered for the allowed UI origins.
 * It decrypts anything it is sent: listen on loopback (the default) or behind an authenticating proxy.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptionCodecFromEnv } from '../common/codec';
import { ConfigError } from '../common/temporal-config';

export interface CodecServerOptions {
  readonly codec: PayloadCodec;
  /** @default 8089 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Browser origins allowed to call it (the Web UI's). @default DEFAULT_UI_ORIGINS */
  readonly origins?: readonly string[];
  /**
   * The namespaces whose payloads it handles (the `X-Namespace` header the UI and the CLI send); requests naming
   * another get 403. Requests without the header are served. @default any namespace
   */
  readonly namespaces?: readonly string[];
}

/** The Web UI of `longhaul dev` (port 8233) and of the compose stack (port 8080). */
export const DEFAULT_UI_ORIGINS = [
  'http://localhost:8233',
  'http://127.0.0.1:8233',
  'http://localhost:8080',
  'http://127.0.0.1:8080',
] as const;

export interface CodecServer {
  /** e.g. http://127.0.0.1:8089 */
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown for a request body that is not `{payloads: [...]}` with base64 fields; answered with 400. */
class BadRequestError extends Error {}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fromBase64(text: unknown, where: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new BadRequestError(`${where} must be a base64 string`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function payloadsFromJson(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError('the body must be JSON: {"payloads": [...]}');
  }
  const list = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new BadRequestError('the body must be {"payloads": [...]}');
  return list.map((p: JsonPayload, i) => {
    const metadata: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(p?.metadata ?? {})) {
      metadata[key] = fromBase64(value, `payloads[${i}].metadata.${key}`);
    }
    return { metadata, data: p?.data === undefined ? new Uint8Array() : fromBase64(p.data, `payloads[${i}].data`) };
  });
}

function payloadsToJson(payloads: Payload[]): string {
  return JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  });
}

const MAX_BODY = 8 * 1024 * 1024;

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequestError(`the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const origins = new Set(opts.origins ?? DEFAULT_UI_ORIGINS);
  const namespaces = opts.namespaces ? new Set(opts.namespaces) : undefined;

  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method === 'OPTIONS') return send(origin !== undefined && origins.has(origin) ? 204 : 403, '');
    const route = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
    if (route !== '/encode' && route !== '/decode') return send(404, 'POST /encode or /decode\n');
    if (req.method !== 'POST') return send(405, 'POST only\n');
    const namespace = req.headers['x-namespace'];
    if (namespaces && typeof namespace === 'string' && !namespaces.has(namespace)) {
      return send(403, `namespace ${namespace} is not served here\n`);
    }
    readBody(req)
      .then(async (body) => {
        const payloads = payloadsFromJson(body);
        const result = route === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
        send(200, payloadsToJson(result), 'application/json');
      })
      .catch((err: unknown) => {
        // The message names a key id at most, never key material or payload contents.
        send(err instanceof BadRequestError ? 400 : 422, `${(err as Error).message}\n`);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8089, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What `longhaul codec-server` takes. */
export interface CodecServerCommandOptions {
  readonly port: number;
  readonly host: string;
  readonly origin?: readonly string[];
  readonly namespace?: readonly string[];
}

/**
 * `longhaul codec-server`: the codec server with the keys of the environment (LONGHAUL_ENCRYPTION_KEY*, as on the
 * worker), until SIGINT/SIGTERM. Throws ConfigError when no key is configured or a key is malformed.
 */
export async function runCodecServer(
  o: CodecServerCommandOptions,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const codec = encryptionCodecFromEnv(env);
  if (!codec) {
    throw new ConfigError(
      'LONGHAUL_ENCRYPTION_KEY and LONGHAUL_ENCRYPTION_KEY_ID are not set: give the codec server the keys the worker has',
    );
  }
  const server = await startCodecServer({
    codec,
    port: o.port,
    host: o.host,
    ...(o.origin ? { origins: o.origin } : {}),
    ...(o.namespace ? { namespaces: o.namespace } : {}),
  });
  log(
    `codec server on ${server.url} (POST /encode, /decode); Web UI origins: ${(o.origin ?? DEFAULT_UI_ORIGINS).join(', ')}. ` +
      `Use: temporal workflow show -w <goal-id> --codec-endpoint ${server.url}. Ctrl-C stops it.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
}
