//! Embeds the scenario vectors (vectors/*.json) into a generated list so the
//! native tests and the wasm tests (which cannot read files in a browser) run
//! exactly the same files. Only test code includes the list; the library
//! itself does not, so the wasm bundle pays nothing.

use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("vectors");
    println!("cargo:rerun-if-changed=vectors");
    println!("cargo:rerun-if-changed=build.rs");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("/// (file name, contents) of every scenario vector.\npub const VECTORS: &[(&str, &str)] = &[\n");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            name,
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("out dir")).join("vectors.rs");
    fs::write(dest, out).expect("write vectors.rs");
}
