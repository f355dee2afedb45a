//! Replays scenario vector files and prints each step's result.
//!
//! ```text
//! cargo run -p optline-engine --example replay -- crates/engine/vectors/*.json
//! ```
//!
//! Exits with status 1 on the first mismatch, after printing a readable
//! expected/actual difference; 2 when a file cannot be read.

#[path = "../tests/support/vectors.rs"]
mod vectors;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: replay FILE.json...");
        std::process::exit(2);
    }
    let mut total = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{f}: cannot read: {e}");
                std::process::exit(2);
            }
        };
        println!("== {f}");
        let r = vectors::run(f, &text);
        for l in &r.lines {
            println!("   {l}");
        }
        total += r.steps;
        if let Some(fail) = r.failure {
            println!("MISMATCH in {fail}");
            std::process::exit(1);
        }
        println!("   ok");
    }
    println!("{} file(s), {total} step(s): all match", files.len());
}
