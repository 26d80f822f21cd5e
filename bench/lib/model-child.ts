/**
 * The scripted model (bench/lib/model.ts) as a process of its own, so that a benchmark can tell its CPU from the
 * worker's and the server's: BENCH_MODEL_LATENCY_MS sets the latency; it sends its URL once listening, then every
 * turn request's arrival (wall clock, workspace) to its parent in batches.
 */
import { startScriptedModel } from './model';

async function main(): Promise<void> {
  const model = await startScriptedModel(Number(process.env.BENCH_MODEL_LATENCY_MS ?? 0));
  const send = (m: unknown) => process.send?.(m);
  send({ url: model.fake.url });
  setInterval(() => {
    if (model.arrivals.length === 0) return;
    send({ arrivals: model.arrivals.splice(0).map((a) => ({ wall: a.wall, workspace: a.workspace })) });
  }, 100);
  process.on('disconnect', () => void model.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(`bench model: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
