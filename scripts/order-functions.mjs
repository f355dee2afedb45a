// Names each function of a wasm module after its place in a new order, so
// that `wasm-opt --reorder-functions-by-name` (run next by build-wasm.sh)
// puts functions with alike code next to each other: in place, usage
// node order-functions.mjs <module.wasm>
//
// Why: gzip finds repeats only within its last 32 KB. Rust compiles a
// generic once per type (a signal's `get`, a view's `build`, a struct's
// `Deserialize`), and those copies differ in a few indices; the linker
// scatters them. Sorted by their code bytes, they sit side by side and
// compress as repeats: the main module was 1.7 % smaller gzipped (issue 13,
// README). The order changes nothing a function does; wasm-opt renumbers
// every call and table entry. Names written here are dropped by the same
// wasm-opt pass (--strip-debug), so the shipped module carries none.
import { readFileSync, writeFileSync } from "node:fs";
import { leb, name, readLeb, section, sections } from "./wasm-binary.mjs";

const [wasmPath] = process.argv.slice(2);
if (!wasmPath) {
  console.error("usage: node order-functions.mjs <module.wasm>");
  process.exit(2);
}
const wasm = readFileSync(wasmPath);
const parts = sections(wasm);

// Function indices count imported functions first.
function importedFunctions(imports) {
  if (!imports) return 0;
  const skipLimits = (p) => {
    const flags = wasm[p++];
    [, p] = readLeb(wasm, p);
    if (flags & 1) [, p] = readLeb(wasm, p);
    return p;
  };
  let [count, p] = readLeb(wasm, imports.start), functions = 0;
  for (let i = 0; i < count; i++) {
    for (let n = 0; n < 2; n++) { let len; [len, p] = readLeb(wasm, p); p += len; } // module, field
    const kind = wasm[p++];
    if (kind === 0) { [, p] = readLeb(wasm, p); functions++; }
    else if (kind === 1) p = skipLimits(p + 1); // table: element type, limits
    else if (kind === 2) p = skipLimits(p); // memory
    else if (kind === 3) p += 2; // global: value type, mutability
    else if (kind === 4) [, p] = readLeb(wasm, p + 1); // tag
    else throw new Error(`import kind ${kind} unknown`);
  }
  return functions;
}

function bodies(code) {
  let [count, p] = readLeb(wasm, code.start);
  const out = [];
  for (let i = 0; i < count; i++) {
    let size;
    [size, p] = readLeb(wasm, p);
    out.push(wasm.subarray(p, p + size));
    p += size;
  }
  return out;
}

const code = parts.find((s) => s.id === 10);
if (!code) { console.error(`${wasmPath}: no code section`); process.exit(1); }
const first = importedFunctions(parts.find((s) => s.id === 2));
const codeBodies = bodies(code);
const order = codeBodies.map((_, i) => i).sort((a, b) => Buffer.compare(codeBodies[a], codeBodies[b]) || a - b);

// The "name" section with only function names (subsection 1): the rank,
// zero-padded so that name order is rank order.
const width = String(order.length).length;
const names = [leb(order.length)];
const rankOf = new Array(order.length);
order.forEach((body, rank) => { rankOf[body] = rank; });
for (let i = 0; i < order.length; i++) {
  names.push(leb(first + i), name(String(rankOf[i]).padStart(width, "0")));
}
const functionNames = Buffer.concat(names);
const nameSection = section(0, Buffer.concat([name("name"), Buffer.from([1]), leb(functionNames.length), functionNames]));

const kept = parts.filter((s) => !(s.id === 0 && s.name === "name"))
  .map((s) => wasm.subarray(s.headerStart, s.end));
writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, 8), ...kept, nameSection]));
