// Renames the main wasm module's imports from its wasm-bindgen JS glue to
// short names ("a", "b", …, module "w"), in the module and in the glue, in
// place: usage: node short-import-names.mjs <module.wasm> <glue.js>
//
// wasm-bindgen names each import after its JS function plus a hash
// (`__wbg_setattribute_5fd5b1ec0c5e4a1b`): ~200 of them made an 11 KB import
// section, hashes that do not compress. Only the glue calls them by name
// (the split chunks import the memory and table alone), so renaming both
// sides together changes nothing else. The build fails if a name is not
// found in the glue exactly once.
import { readFileSync, writeFileSync } from "node:fs";
import { leb, name, readLeb, readName, section, sections } from "./wasm-binary.mjs";

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: node short-import-names.mjs <module.wasm> <glue.js>");
  process.exit(2);
}
const GLUE_MODULE = "./" + jsPath.split("/").pop().replace(/\.js$/, "_bg.js");
const SHORT_MODULE = "w";

const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

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

// Finds the import section (id 2).
const imports = sections(wasm).find((s) => s.id === 2);
if (!imports) { console.error("no import section"); process.exit(1); }

// Rewrites its entries; the description after the two names stays as is.
let [count, p] = readLeb(wasm, imports.start);
const entries = [leb(count)];
const renamed = new Map();
for (let i = 0; i < count; i++) {
  let module, field;
  [module, p] = readName(wasm, p);
  [field, p] = readName(wasm, p);
  const descStart = p;
  const kind = wasm[p++];
  if (kind === 0) [, p] = readLeb(wasm, p); // function: type index
  else { console.error(`import ${module}.${field}: only functions are renamed`); process.exit(1); }
  const desc = wasm.subarray(descStart, p);
  if (module === GLUE_MODULE) {
    if (!renamed.has(field)) renamed.set(field, shortName(renamed.size));
    entries.push(name(SHORT_MODULE), name(renamed.get(field)), desc);
  } else {
    entries.push(name(module), name(field), desc);
  }
}
const rewritten = section(2, Buffer.concat(entries));
writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, imports.headerStart), rewritten, wasm.subarray(imports.end)]));

// The glue: each import is a key of one object literal, `name: function(`.
for (const [old, short] of renamed) {
  const key = new RegExp(`(^|[\\s{,])${old}(\\s*:)`, "g");
  const hits = js.match(key)?.length ?? 0;
  if (hits !== 1) { console.error(`${old}: found ${hits} times in ${jsPath}, expected once`); process.exit(1); }
  js = js.replace(key, `$1${short}$2`);
}
const moduleKey = `"${GLUE_MODULE}":`;
if (js.split(moduleKey).length !== 2) { console.error(`${moduleKey} not found once in ${jsPath}`); process.exit(1); }
js = js.replace(moduleKey, `"${SHORT_MODULE}":`);
writeFileSync(jsPath, js);
console.error(`short-import-names: ${renamed.size} imports renamed`);
