// Times examples/wasm_bench.rs (built for wasm32-unknown-unknown) in node:
// the same workload as the native criterion bench, decisions per second by
// wall clock (performance.now) and by process CPU time (process.cpuUsage).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 10);
const BATCH = 4096, ITERS = 200;
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const { bench_setup, bench_run } = instance.exports;
bench_setup(BATCH);
let sum = 0n;
for (let i = 0; i < 3; i++) sum += bench_run(20); // warm up (tier-up to TurboFan)
const wall = [], cpu = [];
void sum;
for (let r = 0; r < rounds; r++) {
  const t = performance.now(), c = process.cpuUsage();
  sum += bench_run(ITERS);
  const dt = performance.now() - t, dc = process.cpuUsage(c);
  const n = BATCH * ITERS;
  wall.push(n / (dt / 1e3));
  cpu.push(n / ((dc.user + dc.system) / 1e6));
}
wall.sort((a, b) => a - b); cpu.sort((a, b) => a - b);
const med = (a) => a[Math.floor(a.length / 2)];
console.log(`wasm:   ${(med(wall) / 1e6).toFixed(2)} M decisions/s (wall, median of ${rounds}), ${(med(cpu) / 1e6).toFixed(2)} M decisions/s (process CPU); checksum of one pass ${bench_run(1)}`);
console.log(JSON.stringify({ wasm_wall: med(wall), wasm_cpu: med(cpu) }));
