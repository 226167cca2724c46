import { NatError } from '@p2p/nat'

/** The NatError `fn` throws (anything else is rethrown; not throwing fails). */
export function natError(fn: () => unknown): NatError {
  try {
    fn()
  } catch (err) {
    if (err instanceof NatError) return err
    throw err
  }
  throw new Error('expected a NatError, nothing was thrown')
}

/** The code of the NatError `fn` throws, or undefined when it returns. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof NatError) return err.code
    throw err
  }
  return undefined
}
