// Gives short names to what the main wasm module and its wasm-bindgen JS
// glue call each other by, in both files, in place:
// usage: node short-glue-names.mjs <module.wasm> <glue.js> [<other.js> …]
//
// - Imports from the glue: wasm-bindgen names each after its JS function
//   plus a hash (`__wbg_setattribute_5fd5b1ec0c5e4a1b`): ~200 of them made
//   an 11 KB import section of hashes that do not compress. They become
//   "a", "b", … of module "w".
// - Exports the glue calls as `wasm.<name>` (closure shims named after their
//   Rust types, `__wbindgen_malloc`, …) become "a", "b", … too. An export
//   another script reads (the split loader takes `memory`, the function
//   table and the shared globals from the main module) keeps its name.
//
// Only these files use the names, so renaming both sides together changes
// nothing else. The build fails if an import is not found in the glue
// exactly once.
import { readFileSync, writeFileSync } from "node:fs";
import { leb, name, readLeb, readName, section, sections } from "./wasm-binary.mjs";

const [wasmPath, jsPath, ...otherJsPaths] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: node short-glue-names.mjs <module.wasm> <glue.js> [<other.js> …]");
  process.exit(2);
}
const fail = (why) => { console.error(`short-glue-names: ${why}`); process.exit(1); };
const GLUE_MODULE = "./" + jsPath.split("/").pop().replace(/\.js$/, "_bg.js");
const SHORT_MODULE = "w";

let wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");
const others = otherJsPaths.map((p) => readFileSync(p, "utf8"));

// "a".."z", "A".."Z", then two letters: never a JS keyword used as a key.
function shortName(i) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  do {
    s = letters[i % letters.length] + s;
    i = Math.floor(i / letters.length) - 1;
  } while (i >= 0);
  return s;
}

/** Rewrites each entry of section `id` with `entry(p)` -> [parts, next]. */
function rewriteSection(id, entry) {
  const found = sections(wasm).find((s) => s.id === id);
  if (!found) fail(`no section ${id}`);
  let [count, p] = readLeb(wasm, found.start);
  const parts = [leb(count)];
  for (let i = 0; i < count; i++) {
    let out;
    [out, p] = entry(p);
    parts.push(...out);
  }
  const rewritten = section(id, Buffer.concat(parts));
  wasm = Buffer.concat([wasm.subarray(0, found.headerStart), rewritten, wasm.subarray(found.end)]);
}

// Imports (section 2): module and field names; the description stays.
const imports = new Map();
rewriteSection(2, (p) => {
  let module, field;
  [module, p] = readName(wasm, p);
  [field, p] = readName(wasm, p);
  const descStart = p;
  const kind = wasm[p++];
  if (kind !== 0) fail(`import ${module}.${field}: only functions are renamed`);
  [, p] = readLeb(wasm, p); // type index
  const desc = wasm.subarray(descStart, p);
  if (module !== GLUE_MODULE) return [[name(module), name(field), desc], p];
  if (!imports.has(field)) imports.set(field, shortName(imports.size));
  return [[name(SHORT_MODULE), name(imports.get(field)), desc], p];
});

// Exports (section 7): the name; kind and index stay.
const exports = new Map();
const calledByGlue = (field) => new RegExp(`\\bwasm\\.${field}(?![\\w$])`).test(js);
const readElsewhere = (field) => others.some((o) => new RegExp(`\\b${field}\\b`).test(o));
rewriteSection(7, (p) => {
  let field;
  [field, p] = readName(wasm, p);
  const descStart = p;
  [, p] = readLeb(wasm, p + 1); // kind, index
  const desc = wasm.subarray(descStart, p);
  if (!calledByGlue(field) || readElsewhere(field)) return [[name(field), desc], p];
  exports.set(field, shortName(exports.size));
  return [[name(exports.get(field)), desc], p];
});
writeFileSync(wasmPath, wasm);

// The glue: each import is a key of one object literal, `name: function(`;
// each export is read as `wasm.name`.
for (const [old, short] of imports) {
  const key = new RegExp(`(^|[\\s{,])${old}(\\s*:)`, "g");
  const hits = js.match(key)?.length ?? 0;
  if (hits !== 1) fail(`${old}: found ${hits} times in ${jsPath}, expected once`);
  js = js.replace(key, `$1${short}$2`);
}
const moduleKey = `"${GLUE_MODULE}":`;
if (js.split(moduleKey).length !== 2) fail(`${moduleKey} not found once in ${jsPath}`);
js = js.replace(moduleKey, `"${SHORT_MODULE}":`);
for (const [old, short] of exports) {
  js = js.replace(new RegExp(`\\bwasm\\.${old}(?![\\w$])`, "g"), `wasm.${short}`);
}
writeFileSync(jsPath, js);
console.error(`short-glue-names: ${imports.size} imports, ${exports.size} exports renamed`);
