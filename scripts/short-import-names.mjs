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

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: node short-import-names.mjs <module.wasm> <glue.js>");
  process.exit(2);
}
const GLUE_MODULE = "./" + jsPath.split("/").pop().replace(/\.js$/, "_bg.js");
const SHORT_MODULE = "w";

const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

function readLeb(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}
const name = (s) => Buffer.concat([leb(Buffer.byteLength(s)), Buffer.from(s)]);
function readName(buf, at) {
  const [len, start] = readLeb(buf, at);
  return [buf.toString("utf8", start, start + len), start + len];
}
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
let at = 8, importStart = -1, importEnd = -1, bodyStart = -1;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, start] = readLeb(wasm, at + 1);
  if (id === 2) { importStart = at; bodyStart = start; importEnd = start + size; break; }
  at = start + size;
}
if (importStart < 0) { console.error("no import section"); process.exit(1); }

// Rewrites its entries; the description after the two names stays as is.
let [count, p] = readLeb(wasm, bodyStart);
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
const body = Buffer.concat(entries);
const section = Buffer.concat([Buffer.from([2]), leb(body.length), body]);
writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, importStart), section, wasm.subarray(importEnd)]));

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
