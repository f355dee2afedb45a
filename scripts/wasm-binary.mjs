// Reading and writing the few parts of the WebAssembly binary format the
// release build's post-processing scripts touch (short-glue-names.mjs,
// order-functions.mjs, drop-unused-classes.mjs): LEB128 numbers, names and
// the list of sections.
// Everything else in a module is copied byte for byte.

/** Reads an unsigned LEB128 number at `at`: [value, offset after it]. */
export function readLeb(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** An unsigned LEB128 number. */
export function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

/** A name as the format writes it: its length in bytes, then UTF-8. */
export const name = (s) => Buffer.concat([leb(Buffer.byteLength(s)), Buffer.from(s)]);

/** Reads a name at `at`: [string, offset after it]. */
export function readName(buf, at) {
  const [len, start] = readLeb(buf, at);
  return [buf.toString("utf8", start, start + len), start + len];
}

/**
 * The module's sections in order: { id, start, end } with `start`..`end` the
 * section's contents (after its id and size), plus `name` for custom ones.
 */
export function sections(wasm) {
  const out = [];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = readLeb(wasm, at + 1);
    const section = { id, headerStart: at, start, end: start + size };
    if (id === 0) section.name = readName(wasm, start)[0];
    out.push(section);
    at = start + size;
  }
  return out;
}

/** A whole section: id, size, contents. */
export const section = (id, contents) => Buffer.concat([Buffer.from([id]), leb(contents.length), contents]);
