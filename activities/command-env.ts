/**
 * The environment of every command Longhaul runs for the agent or for a measurement: the worker's,
 * minus its secrets (model and Slack keys, store credentials), so no command can print them into a
 * tool output, a prompt or the ledger.
 */
const SECRET =
  /^(OPENAI_|SLACK_|TEMPORAL_API_KEY|TEMPORAL_TLS_|LONGHAUL_STORE_URL|ANTHROPIC_|AWS_SECRET|GITHUB_TOKEN|GH_TOKEN)/;

export function commandEnv(extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!SECRET.test(key)) env[key] = value;
  return { ...env, ...extra };
}
