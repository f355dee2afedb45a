//! The wasm bench's native twin: the same workload and the same loop as
//! examples/wasm_bench.rs, timed with wall and thread-CPU time, so
//! scripts/bench-wasm.sh can print the wasm/native ratio. (The criterion
//! bench, benches/step.rs, is the reference native measurement.)
//!
//! ```text
//! cargo run --release -p optline-engine --example bench_native -- [ROUNDS]
//! ```

#[path = "../benches/support/workload.rs"]
mod workload;

use std::time::Instant;

const BATCH: usize = 4096;
const ITERS: u32 = 200;

#[cfg(unix)]
fn cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
#[cfg(not(unix))]
fn cpu_ns() -> u64 {
    0
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let flows = workload::flows();
    let cases = workload::cases(BATCH);
    let mut sum = 0u64;
    for _ in 0..20 {
        sum = sum.wrapping_add(workload::run(&flows, &cases));
    }
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..rounds {
        let (t, c) = (Instant::now(), cpu_ns());
        for _ in 0..ITERS {
            sum = sum.wrapping_add(workload::run(&flows, std::hint::black_box(&cases)));
        }
        let n = (BATCH as f64) * f64::from(ITERS);
        wall.push(n / t.elapsed().as_secs_f64());
        cpu.push(n / ((cpu_ns() - c) as f64 / 1e9));
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    std::hint::black_box(sum);
    let one = workload::run(&flows, &cases);
    println!(
        "native: {:.2} M decisions/s (wall, median of {rounds}), {:.2} M decisions/s (thread CPU); checksum of one pass {one}",
        wall[rounds / 2] / 1e6,
        cpu[rounds / 2] / 1e6
    );
}
