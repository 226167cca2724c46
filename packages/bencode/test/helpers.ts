import { BencodeError, type BencodeErrorCode } from '@p2p/bencode'
import { expect } from 'vitest'

/** The bytes of a latin1 string: `b('d1:ai1ee')`, with `\xff` escapes for binary. */
export function b(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0))
}

/** The latin1 text of bytes, for readable comparisons. */
export function s(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')
}

/** Runs `fn`, expects a BencodeError with `code` (and `offset` when given), returns it. */
export function expectError(fn: () => unknown, code: BencodeErrorCode, offset?: number): BencodeError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(BencodeError)
  const err = caught as BencodeError
  expect(err.code).toBe(code)
  if (offset !== undefined) expect(err.offset).toBe(offset)
  return err
}
