import { spawn } from 'node:child_process'
import { LabError } from './errors.js'

/** Output of a finished command. */
export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `cmd args` to completion (no shell); resolves with its exit code and output. With `timeoutMs`
 * the command is killed (SIGKILL) when it runs longer.
 */
export function execQuiet(
  cmd: string,
  args: readonly string[],
  input?: string,
  timeoutMs?: number,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
    })
    proc.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
    })
    proc.on('error', (err) => resolve({ code: 127, stdout, stderr: err.message }))
    proc.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    proc.stdin.on('error', () => {})
    proc.stdin.end(input ?? '')
  })
}

/** Runs a command and throws `LAB_COMMAND_FAILED` with its stderr when it exits non-zero. */
export async function exec(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await execQuiet(cmd, args, input)
  if (r.code !== 0) {
    throw new LabError(
      'LAB_COMMAND_FAILED',
      `${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`,
    )
  }
  return r.stdout
}
