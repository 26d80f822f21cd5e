/**
 * The environment of every command Longhaul runs for the agent or for a measurement: the worker's, minus the
 * variables that hold credentials (the worker's own model, Slack, Temporal and encryption keys; cloud credentials;
 * anything named like a token, secret, password or key), so no command can print them into a tool output, a prompt
 * or the ledger. Allow by default, minus this deny list; a goal spec may hand named variables back (`env.allow`),
 * except the worker's own credentials.
 */
import { WORKER_SECRET_NAME as WORKER_SECRET } from '../../goal/spec';

/**
 * Everything else that usually carries a credential. By name, because values cannot be told apart from ordinary
 * ones: cloud providers' variables, agents that can authenticate for the user (SSH_AUTH_SOCK), and any name with a
 * token / secret / password / key / credential part (GITHUB_TOKEN, NPM_TOKEN, CLIENT_SECRET, DB_PASSWORD,
 * STRIPE_API_KEY, DOCKER_PASS, PGPASSWORD, DATABASE_URL with its password). `PWD` is not `PASSWD`: it stays.
 */
const CREDENTIAL = new RegExp(
  [
    '^(AWS_|AZURE_|ARM_CLIENT_|GCP_|GCLOUD_|CLOUDSDK_AUTH_|GOOGLE_APPLICATION_CREDENTIALS$|GOOGLE_CREDENTIALS$)',
    '^(ANTHROPIC_|HF_TOKEN$|HUGGING_FACE_HUB_TOKEN$|DIGITALOCEAN_|DOCKER_AUTH_CONFIG$)',
    '^(SSH_AUTH_SOCK$|GPG_AGENT_INFO$|PGPASSWORD$|MYSQL_PWD$|SENTRY_DSN$|KUBECONFIG_DATA$)',
    '(^|_)(TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PASSPHRASE|CREDENTIAL|CREDENTIALS|AUTH)(_|$)',
    '(^|_)(API_?KEY|ACCESS_KEY|ACCESS_KEY_ID|SECRET_KEY|PRIVATE_KEY|KEY|KEYS)$',
    '(^|_)DATABASE_URL$',
  ].join('|'),
  'i',
);

/** Whether a variable of the worker's environment is kept from commands unless the spec allows it. */
export function isCredentialName(name: string): boolean {
  return WORKER_SECRET.test(name) || CREDENTIAL.test(name);
}

/** Whether a variable is one of the worker's own credentials, which no spec can allow. */
export function isWorkerSecretName(name: string): boolean {
  return WORKER_SECRET.test(name);
}

/**
 * The worker's environment without its credentials, plus `extra`. `allow` names variables the goal spec hands to
 * its commands anyway (e.g. `AWS_PROFILE` for a deploy check); the worker's own credentials are never handed on.
 */
export function commandEnv(
  extra: NodeJS.ProcessEnv = {},
  base: NodeJS.ProcessEnv = process.env,
  allow: readonly string[] = [],
): NodeJS.ProcessEnv {
  const allowed = new Set(allow);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!isCredentialName(key) || (allowed.has(key) && !isWorkerSecretName(key))) env[key] = value;
  }
  return { ...env, ...extra };
}
