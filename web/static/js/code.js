// Join codes: six characters, typed in any case, with or without a dash.

/** normalizeCode turns what someone typed into the code the server knows. */
export function normalizeCode(typed) {
  return typed.replace(/[\s-]+/g, '').toUpperCase();
}

/** formatCode shows a code as ABC-DEF, which is easier to read aloud. */
export function formatCode(code) {
  return code.length === 6 ? `${code.slice(0, 3)}-${code.slice(3)}` : code;
}
