//! The benchmark workload (benches/support/workload.rs) as a tiny wasm
//! module without JavaScript glue: scripts/bench-wasm.sh builds it for
//! wasm32-unknown-unknown and times it in node with performance.now() and
//! process.cpuUsage(). Built natively it is just an unused library.
//!
//! Exports: `bench_setup(n) -> n` builds n cases; `bench_run(iters) ->
//! checksum` runs every case `iters` times.

#[path = "../benches/support/workload.rs"]
mod workload;

use std::cell::RefCell;

type State = ([optline_engine::ValidFlow; 2], Vec<workload::Case>);

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

#[no_mangle]
pub extern "C" fn bench_setup(n: u32) -> u32 {
    let cases = workload::cases(n as usize);
    STATE.with(|s| *s.borrow_mut() = Some((workload::flows(), cases)));
    n
}

#[no_mangle]
pub extern "C" fn bench_run(iters: u32) -> u64 {
    STATE.with(|s| {
        let s = s.borrow();
        let Some((flows, cases)) = s.as_ref() else {
            return 0;
        };
        let mut sum = 0u64;
        for _ in 0..iters {
            sum = sum.wrapping_add(workload::run(flows, std::hint::black_box(cases)));
        }
        sum
    })
}
