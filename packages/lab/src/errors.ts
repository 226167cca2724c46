/** Stable codes of {@link LabError}. */
export type LabErrorCode =
  | 'LAB_BAD_OPTION'
  | 'LAB_COMMAND_FAILED'
  | 'LAB_PEER_FAILED'
  | 'LAB_TIMEOUT'
  | 'LAB_ABORTED'
  | 'LAB_UNKNOWN_SCENARIO'

/**
 * The one error class of `@p2p/lab`, with a stable string `code`.
 *
 * @example
 * ```ts
 * try { await runLab({ scenarios: ['nope'] }) } catch (e) { if (e instanceof LabError) console.log(e.code) }
 * ```
 */
export class LabError extends Error {
  /** Stable machine-readable code. */
  readonly code: LabErrorCode
  /** @param code stable code @param message human-readable detail */
  constructor(code: LabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LabError'
    this.code = code
  }
}
