/**
 * Path sanitising, byte for byte as libtorrent's `sanitize_append_path_element` on POSIX, so the
 * paths we report are the ones libtorrent would write.
 */

/** Direction-changing code points libtorrent drops (they disguise file extensions). */
const BIDI = new Set([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x200e, 0x200f])

const SLASH = 0x2f
const BACKSLASH = 0x5c
const DOT = 0x2e
const UNDERSCORE = 0x5f

/** Set by {@link codePointAt}: the length of the sequence it read (module state: no tuple per byte). */
let seqLength = 1

/**
 * Decodes one UTF-8 code point at `i` (-1 when invalid) and sets {@link seqLength}. Like
 * libtorrent's parse_utf8_codepoint.
 */
function codePointAt(b: Uint8Array, i: number): number {
  const c = b[i]!
  seqLength = 1
  if (c < 0x80) return c
  let len: number
  let cp: number
  if ((c & 0xe0) === 0xc0) {
    len = 2
    cp = c & 0x1f
  } else if ((c & 0xf0) === 0xe0) {
    len = 3
    cp = c & 0x0f
  } else if ((c & 0xf8) === 0xf0) {
    len = 4
    cp = c & 0x07
  } else return -1
  if (i + len > b.length) return -1
  for (let k = 1; k < len; k++) {
    const cc = b[i + k]!
    if ((cc & 0xc0) !== 0x80) return -1
    cp = (cp << 6) | (cc & 0x3f)
  }
  seqLength = len
  // overlong encodings, surrogates and out-of-range code points are invalid
  if ((len === 2 && cp < 0x80) || (len === 3 && cp < 0x800) || (len === 4 && cp < 0x10000)) return -1
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1
  return cp
}

/** Longest element in bytes before libtorrent truncates (keeping an extension of up to 9 bytes). */
const MAX_ELEMENT = 240

/**
 * Appends one sanitised path element to `path` (bytes), as libtorrent does: `.` and `..` (and
 * elements of only dots up to two) vanish, `/` `\\` and bidi overrides are dropped, control
 * characters and invalid UTF-8 become `_`, an empty element becomes `_`, long elements are cut at
 * 240 bytes keeping the extension.
 * @internal
 */
export function appendElement(path: number[], element: Uint8Array): void {
  if (element.length === 1 && element[0] === DOT) return
  let addedSeparator = 0
  if (path.length > 0) {
    path.push(SLASH)
    addedSeparator = 1
  }
  if (element.length === 0) {
    path.push(UNDERSCORE)
    return
  }
  let added = 0
  let dots = 0
  let foundExtension = false
  let seqLen = 0
  for (let i = 0; i < element.length; i += seqLen) {
    const cp = codePointAt(element, i)
    seqLen = seqLength
    // NUL too: libtorrent's strchr-based filter matches the terminator
    if (cp >= 0 && (BIDI.has(cp) || cp === SLASH || cp === BACKSLASH || cp === 0)) continue
    if (cp < 0 || cp < 32) {
      path.push(UNDERSCORE)
      added++
      continue
    }
    for (let k = i; k < i + seqLen; k++) path.push(element[k]!)
    if (cp === DOT) dots++
    added += seqLen
    if (added >= MAX_ELEMENT && !foundExtension) {
      let dot = -1
      for (let j = element.length - 1; j > Math.max(element.length - 10, i); j--) {
        if (element[j] !== DOT) continue
        dot = j
        break
      }
      if (dot === -1) break
      foundExtension = true
      i = dot - seqLen
    }
  }
  if (added === dots && added <= 2) {
    path.length -= added + addedSeparator
    return
  }
  if (path.length === 0) path.push(UNDERSCORE)
}

const decoder = new TextDecoder('utf-8')
const encoder = new TextEncoder()

/** @internal Sanitised path bytes -> string. The result is always valid UTF-8 by construction. */
export function bytesToString(path: number[]): string {
  return decoder.decode(Uint8Array.from(path))
}

/** @internal UTF-8 bytes of a string as an array to append to. */
export function stringToPath(s: string): number[] {
  return Array.from(encoder.encode(s))
}

/**
 * Sanitises one path element given as text (for names given to `createTorrent` and magnet names).
 * @returns the sanitised element; `''` when nothing is left.
 */
export function sanitizeElement(element: string | Uint8Array): string {
  const out: number[] = []
  appendElement(out, typeof element === 'string' ? encoder.encode(element) : element)
  return bytesToString(out)
}
