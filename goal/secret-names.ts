/** The names of the worker's own credentials, which no goal may hand to its commands (see activities/security/command-env.ts). */
export const WORKER_SECRET_NAME =
  /^(OPENAI_|SLACK_|GITHUB_TOKEN$|TEMPORAL_API_KEY$|TEMPORAL_TLS_|LONGHAUL_ENCRYPTION_KEY|LONGHAUL_STORE_URL$)/i;
