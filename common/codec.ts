/**
 * Optional payload encryption (AES-256-GCM) so goal inputs, activity inputs and results — objectives, prompts,
 * tool output, code — never sit in Temporal's database in clear. The worker, the CLI and the codec server
 * (client/codec-server.ts) share this codec and read the same variables:
 *
 * - `LONGHAUL_ENCRYPTION_KEY`: the current key, 32 random bytes in base64 (`openssl rand -base64 32`);
 * - `LONGHAUL_ENCRYPTION_KEY_ID`: its name, stored beside each encrypted payload (e.g. `2026-01`);
 * - `LONGHAUL_ENCRYPTION_KEYS`: optional older keys still needed to read older histories, `id:base64,id:base64`.
 *
 * New payloads are encrypted with the current key; a payload is decrypted with whichever configured key its id
 * names, so keys rotate without touching running goals. Payloads that were never encrypted pass through.
 * Key material lives only in this module's closures: no error message or log line includes it.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from './temporal-config';

/** The `encoding` metadata of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAKE_KEY = 'make one with `openssl rand -base64 32`';

/** Thrown when an encrypted payload cannot be decrypted: unknown key id, wrong key, or altered bytes. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/** The keys a codec encrypts and decrypts with; build it with {@link encryptionKeysFromEnv}. */
export interface EncryptionKeys {
  /** The id new payloads are encrypted under. */
  readonly currentKeyId: string;
  /** Every usable key by id, the current one included. Secret: never log it. */
  readonly keys: ReadonlyMap<string, Buffer>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes one base64 key; `name` says where it came from, for the error. The key itself is never echoed. */
export function parseKey(text: string, name: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new ConfigError(`${name} is not base64: it must be 32 random bytes in base64; ${MAKE_KEY}`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError(`${name} is ${key.length} bytes, AES-256 needs ${KEY_BYTES}: ${MAKE_KEY}`);
  }
  return key;
}

function checkKeyId(id: string, name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
    throw new ConfigError(`${name}: key id "${id}" must be 1-64 letters, digits, '.', '_' or '-' (e.g. 2026-01)`);
  }
  return id;
}

/**
 * The encryption keys the environment configures, or undefined when encryption is off (none of the variables
 * set). Throws {@link ConfigError} naming the variable and the fix for a malformed key, a missing key id,
 * or a key id that two different keys claim.
 */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionKeys | undefined {
  const current = env.LONGHAUL_ENCRYPTION_KEY || undefined;
  const currentId = env.LONGHAUL_ENCRYPTION_KEY_ID || undefined;
  const others = env.LONGHAUL_ENCRYPTION_KEYS || undefined;
  if (current === undefined && currentId === undefined && others === undefined) return undefined;

  const keys = new Map<string, Buffer>();
  for (const entry of (others ?? '').split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      throw new ConfigError(
        'LONGHAUL_ENCRYPTION_KEYS must be a comma-separated list of id:base64-key (e.g. 2025-12:…,2026-01:…)',
      );
    }
    const id = checkKeyId(entry.slice(0, colon), 'LONGHAUL_ENCRYPTION_KEYS');
    const key = parseKey(entry.slice(colon + 1), `LONGHAUL_ENCRYPTION_KEYS (key "${id}")`);
    if (keys.has(id) && !keys.get(id)!.equals(key)) {
      throw new ConfigError(`LONGHAUL_ENCRYPTION_KEYS names key "${id}" twice with different keys: keep one`);
    }
    keys.set(id, key);
  }
  if (currentId === undefined) {
    throw new ConfigError(
      'LONGHAUL_ENCRYPTION_KEY_ID is not set: name the current key (e.g. LONGHAUL_ENCRYPTION_KEY_ID=2026-01), so it can be rotated later',
    );
  }
  checkKeyId(currentId, 'LONGHAUL_ENCRYPTION_KEY_ID');
  if (current !== undefined) {
    const key = parseKey(current, 'LONGHAUL_ENCRYPTION_KEY');
    if (keys.has(currentId) && !keys.get(currentId)!.equals(key)) {
      throw new ConfigError(
        `LONGHAUL_ENCRYPTION_KEYS has a different key under the current id "${currentId}": give the new key a new LONGHAUL_ENCRYPTION_KEY_ID`,
      );
    }
    keys.set(currentId, key);
  } else if (!keys.has(currentId)) {
    throw new ConfigError(`LONGHAUL_ENCRYPTION_KEY is not set: set it to the key "${currentId}" (${MAKE_KEY})`);
  }
  return { currentKeyId: currentId, keys };
}

/**
 * AES-256-GCM over the whole original payload (metadata and data, protobuf-encoded), so its encoding is hidden
 * too. The output payload's data is IV (12 bytes) ‖ ciphertext ‖ auth tag (16 bytes); the key id is bound as
 * additional authenticated data, so neither the bytes nor the id can be altered unnoticed.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: EncryptionKeys) {
    if (!keys.keys.has(keys.currentKeyId)) throw new ConfigError(`no key for the current id "${keys.currentKeyId}"`);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.currentKeyId;
    const key = this.keys.keys.get(keyId)!;
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(encoder.encode(keyId));
        const clear = temporal.api.common.v1.Payload.encode(payload).finish();
        const sealed = Buffer.concat([iv, cipher.update(clear), cipher.final(), cipher.getAuthTag()]);
        return {
          metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(keyId) },
          data: new Uint8Array(sealed),
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((payload) => this.decodeOne(payload)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload; // never encrypted
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = idBytes ? decoder.decode(idBytes) : '';
    const key = this.keys.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}", which is not configured: add it to LONGHAUL_ENCRYPTION_KEYS as ${keyId}:<base64 key>`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(encoder.encode(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let clear: Buffer;
    try {
      clear = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" failed authentication: it was altered, or that id names a different key here`,
      );
    }
    const decoded = temporal.api.common.v1.Payload.decode(clear);
    return { metadata: { ...decoded.metadata }, data: decoded.data };
  }
}

/** The codec the environment configures, or undefined when encryption is off. Throws ConfigError as above. */
export function encryptionCodecFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | undefined {
  const keys = encryptionKeysFromEnv(env);
  return keys ? new EncryptionCodec(keys) : undefined;
}

/** The data converter for workers and clients: the default one, plus encryption when configured. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = encryptionCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
