// Drops the classes the wasm-bindgen JS glue exports, and the wasm exports
// behind them, from the main module and its glue, in place:
// usage: node drop-unused-classes.mjs <module.wasm> <glue.js>
//
// The app exports no class of its own: the ones in the glue come from
// wasm-streams (IntoUnderlyingSource, …), which Leptos links through its
// server functions, which the app does not use. An export is a root that
// no linker may remove, so each kept its code alive (1.4 KB gzipped of the
// main module). Without the exports, wasm-opt, run next, drops that code;
// nothing else called it. The page's loader imports only `init`. The build
// fails if a class is not in the shape this expects (wasm-bindgen is pinned
// in Cargo.toml).
import { readFileSync, writeFileSync } from "node:fs";
import { leb, readLeb, readName, section, sections } from "./wasm-binary.mjs";

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: node drop-unused-classes.mjs <module.wasm> <glue.js>");
  process.exit(2);
}
const fail = (why) => { console.error(`drop-unused-classes: ${why}`); process.exit(1); };
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

const classes = [...js.matchAll(/^export class (\w+) \{$/gm)].map((m) => m[1]);

// The glue: each class, from `export class X {` to the line that gives it
// Symbol.dispose, and its FinalizationRegistry constant.
for (const cls of classes) {
  const body = new RegExp(
    `^export class ${cls} \\{$[\\s\\S]*?^if \\(Symbol\\.dispose\\) ${cls}\\.prototype\\[Symbol\\.dispose\\] = ${cls}\\.prototype\\.free;\\n`, "m");
  const registry = new RegExp(`^const ${cls}Finalization = [^;]*;\\n`, "m");
  if (!body.test(js)) fail(`class ${cls}: its end was not found in ${jsPath}`);
  if (!registry.test(js)) fail(`class ${cls}: its FinalizationRegistry was not found in ${jsPath}`);
  js = js.replace(body, "").replace(registry, "");
  if (new RegExp(`\\b${cls}\\b`).test(js)) fail(`class ${cls} is still used in ${jsPath}`);
}

// The module: the exports named after those classes (`x_method`, `__wbg_x_free`).
const prefixes = classes.map((c) => c.toLowerCase() + "_");
const named = (field) => prefixes.some((p) => field.startsWith(p) || field.startsWith("__wbg_" + p));
const exports = sections(wasm).find((s) => s.id === 7);
if (!exports) fail("no export section");
let [count, p] = readLeb(wasm, exports.start);
const kept = [];
let dropped = 0;
for (let i = 0; i < count; i++) {
  const start = p;
  let field;
  [field, p] = readName(wasm, p);
  [, p] = readLeb(wasm, p + 1); // kind, index
  if (named(field)) {
    if (js.includes(`wasm.${field}`)) fail(`export ${field} is still called by ${jsPath}`);
    dropped++;
  } else {
    kept.push(wasm.subarray(start, p));
  }
}
const rewritten = section(7, Buffer.concat([leb(kept.length), ...kept]));
writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, exports.headerStart), rewritten, wasm.subarray(exports.end)]));
writeFileSync(jsPath, js);
console.error(`drop-unused-classes: ${classes.length} classes, ${dropped} exports dropped`);
