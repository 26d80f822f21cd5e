/** `longhaul doctor`: whether this machine can run goals as Longhaul expects, starting with the agent's sandbox. */
import { probeSandbox, type SandboxProbe } from '../activities/security/sandbox';

export interface DoctorReport {
  readonly sandbox: SandboxProbe;
}

/** Checks the machine afresh (nothing cached from an earlier probe). */
export function runDoctor(env: NodeJS.ProcessEnv = process.env): DoctorReport {
  return { sandbox: probeSandbox({ fresh: true, env }) };
}

export function formatDoctor(report: DoctorReport): string {
  const s = report.sandbox;
  return s.ok
    ? `sandbox: ok (${s.version ?? s.bwrap}): the agent's shell runs in a bubblewrap sandbox`
    : `sandbox: not available: ${s.problem ?? 'unknown'}\n` +
        '  goals refuse to start unless their spec says sandbox: off (then they run unsandboxed)';
}
