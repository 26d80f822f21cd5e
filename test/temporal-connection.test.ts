/**
 * How TEMPORAL_* variables and Temporal config-file profiles become connection options for the CLI and the
 * worker (common/temporal-connection.ts). No Temporal Cloud here: the options are checked, and one connection
 * attempt goes to a closed loopback port.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectClient, TemporalUnreachableError } from '../client/connect';
import { ConfigError, loadTemporalConfig } from '../common/temporal-config';
import { describeTemporalConnection, temporalConnection } from '../common/temporal-connection';
import { freePort } from './helpers/ports';

const API_KEY = 'tmprl-test-api-key-do-not-log';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'longhaul-temporal-connection-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The connection as the CLI and the worker resolve it from `env` alone (no HOME: no user config file). */
const resolve = (env: NodeJS.ProcessEnv) => temporalConnection(loadTemporalConfig(env), env);

function writeFile(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('Temporal connection settings', () => {
  it('are plain gRPC to localhost:7233, namespace default, when nothing is set', () => {
    expect(resolve({})).toEqual({ namespace: 'default', options: { address: 'localhost:7233' } });
    expect(resolve({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_API_KEY: '' })).toEqual({
      namespace: 'default',
      options: { address: 'localhost:7233' },
    });
  });

  it('take the address and namespace from TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE', () => {
    expect(resolve({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'goals' })).toEqual({
      namespace: 'goals',
      options: { address: 'temporal:7233' },
    });
  });

  it('use TLS with the system roots and the key as a bearer token when TEMPORAL_API_KEY is set', () => {
    const env = {
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: API_KEY,
    };
    expect(resolve(env)).toEqual({
      namespace: 'my-ns.a1b2c',
      options: { address: 'my-ns.a1b2c.tmprl.cloud:7233', tls: true, apiKey: API_KEY },
    });
  });

  it('read a client certificate, its key, a server CA and a server name from TEMPORAL_TLS_* files', () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: writeFile('client.pem', 'CERT'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: writeFile('client.key', 'KEY'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: writeFile('ca.pem', 'CA'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    };
    const { options } = resolve(env);
    expect(options.tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
    const tls = options.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array }; // prettier-ignore
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe('KEY');
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toBe('CA');
    expect(options.apiKey).toBeUndefined();
  });

  it('turn TLS off with TEMPORAL_TLS=false, even with an API key', () => {
    expect(resolve({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' }).options).toEqual({
      address: 'localhost:7233',
      tls: false,
      apiKey: API_KEY,
    });
  });

  it('load a profile of the config file, TEMPORAL_PROFILE choosing it and variables overriding it', () => {
    const config = writeFile(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "localhost:7233"',
        '',
        '[profile.cloud]',
        'address = "my-ns.a1b2c.tmprl.cloud:7233"',
        'namespace = "my-ns.a1b2c"',
        `api_key = "${API_KEY}"`,
        '[profile.cloud.grpc_meta]',
        'temporal-namespace = "my-ns.a1b2c"',
      ].join('\n'),
    );
    expect(resolve({ TEMPORAL_CONFIG_FILE: config, TEMPORAL_PROFILE: 'cloud' })).toEqual({
      namespace: 'my-ns.a1b2c',
      options: {
        address: 'my-ns.a1b2c.tmprl.cloud:7233',
        tls: true,
        apiKey: API_KEY,
        metadata: { 'temporal-namespace': 'my-ns.a1b2c' },
      },
    });
    const overridden = resolve({
      TEMPORAL_CONFIG_FILE: config,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'other',
    });
    expect(overridden.namespace).toBe('other');
  });

  it("find the default profile in the user's config folder", () => {
    writeFile(
      'config/temporalio/temporal.toml',
      '[profile.default]\naddress = "temporal.lan:7233"\nnamespace = "lab"\n',
    );
    expect(resolve({ XDG_CONFIG_HOME: path.join(dir, 'config') })).toEqual({
      namespace: 'lab',
      options: { address: 'temporal.lan:7233' },
    });
  });

  it('refuse a missing config file, profile or certificate with an error that names it', () => {
    expect(() => resolve({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nope.toml') })).toThrow(
      new ConfigError(`TEMPORAL_CONFIG_FILE: ${path.join(dir, 'nope.toml')} does not exist: fix the path, or unset it`),
    );
    const config = writeFile('temporal.toml', '[profile.default]\naddress = "localhost:7233"\n');
    expect(() => resolve({ TEMPORAL_CONFIG_FILE: config, TEMPORAL_PROFILE: 'prod' })).toThrow(ConfigError);
    expect(() => resolve({ TEMPORAL_CONFIG_FILE: config, TEMPORAL_PROFILE: 'prod' })).toThrow(/TEMPORAL_PROFILE=prod/);
    const missingCert = path.join(dir, 'missing.pem');
    expect(() =>
      resolve({ TEMPORAL_TLS_CLIENT_CERT_PATH: missingCert, TEMPORAL_TLS_CLIENT_KEY_PATH: missingCert }),
    ).toThrow(missingCert);
  });

  it('are described for logs without the API key', () => {
    const cloud = resolve({ TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'my-ns.a1b2c', TEMPORAL_API_KEY: API_KEY }); // prettier-ignore
    expect(describeTemporalConnection(cloud)).toBe(
      'my-ns.a1b2c.tmprl.cloud:7233 (namespace my-ns.a1b2c; TLS, API key)',
    );
    expect(describeTemporalConnection(resolve({}))).toBe('localhost:7233 (namespace default; plain gRPC)');
  });
});

describe('connectClient', () => {
  it('says how to fix an unreachable server, without the API key', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const env = { TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' };
    const error = await connectClient(loadTemporalConfig(env), env).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TemporalUnreachableError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^cannot reach Temporal at ${address} \\(.*\\): start it with \`longhaul dev\`, or set TEMPORAL_ADDRESS$`, 's')); // prettier-ignore
    expect(message).not.toContain(API_KEY);
  });
});
