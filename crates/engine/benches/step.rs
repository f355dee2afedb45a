//! Criterion benchmark of `step()` on realistic mixed traffic (see
//! support/workload.rs): batches of 4096 decisions, throughput in decisions
//! per second ("elem/s").
//!
//! Two measurements of the same workload:
//! - `step/wall`: ordinary wall-clock time;
//! - `step/thread_cpu`: CPU time of the benchmarking thread
//!   (clock_gettime(CLOCK_THREAD_CPUTIME_ID), falling back to wall time), i.e.
//!   "decisions per second on one core" even when other builds share the
//!   machine's two cores.
//!
//! ```text
//! CARGO_TARGET_DIR=target-engine cargo bench -p optline-engine --bench step
//! ```

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Instant;

#[path = "support/workload.rs"]
mod workload;

const BATCH: usize = 4096;

/// Nanoseconds of CPU time consumed by the current thread so far.
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Measures the benchmarking thread's CPU time.
struct ThreadCpu {
    wall: WallTime,
}

enum Start {
    Cpu(u64),
    Wall(Instant),
}

impl Measurement for ThreadCpu {
    type Intermediate = Start;
    type Value = f64; // nanoseconds
    fn start(&self) -> Start {
        match thread_cpu_ns() {
            Some(n) => Start::Cpu(n),
            None => Start::Wall(Instant::now()),
        }
    }
    fn end(&self, i: Start) -> f64 {
        match i {
            Start::Cpu(n) => thread_cpu_ns().map_or(0.0, |m| m.saturating_sub(n) as f64),
            Start::Wall(t) => t.elapsed().as_nanos() as f64,
        }
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, v: &f64) -> f64 {
        *v
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn bench_wall(c: &mut Criterion) {
    let flows = workload::flows();
    let cases = workload::cases(BATCH);
    let mut g = c.benchmark_group("step");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("wall", |b| {
        b.iter(|| black_box(workload::run(black_box(&flows), black_box(&cases))))
    });
    g.finish();
}

fn bench_cpu(c: &mut Criterion<ThreadCpu>) {
    let flows = workload::flows();
    let cases = workload::cases(BATCH);
    let mut g = c.benchmark_group("step");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("thread_cpu", |b| {
        b.iter(|| black_box(workload::run(black_box(&flows), black_box(&cases))))
    });
    g.finish();
}

criterion_group!(wall, bench_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu { wall: WallTime });
    targets = bench_cpu
}
criterion_main!(wall, cpu);
