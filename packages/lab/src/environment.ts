import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { execQuiet } from './exec.js'
import { DEBIAN_PYTHON, packageFile } from './peer-process.js'

/** Bound on each probe and on the PDF export, ms. */
const PROBE_TIMEOUT_MS = 60_000
/** Chromium from Debian's package (the lab's reference browser). */
const CHROMIUM = '/usr/bin/chromium'

/**
 * Where and with what a lab ran: CPU, kernel, Node, libtorrent and toolkit versions, the commit and
 * the command, for the report's environment block. A value that cannot be read says so.
 */
export async function labEnvironment(command: string): Promise<Record<string, string>> {
  const cpu = cpus()
  const libtorrent = await execQuiet(
    DEBIAN_PYTHON,
    ['-c', 'import libtorrent; print(libtorrent.__version__)'],
    undefined,
    PROBE_TIMEOUT_MS,
  )
  const commit = await execQuiet('git', ['-C', packageFile('.'), 'rev-parse', '--short', 'HEAD'])
  const pkg = JSON.parse(await readFile(packageFile('package.json'), 'utf8')) as { version: string }
  return {
    CPU: `${cpu[0]?.model ?? 'unknown'} x ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    // Other work on the machine slows every peer: the scaling table adds the load at the end of each run.
    'load average at start (1 / 5 / 15 min)': loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
    kernel: `${type()} ${release()}`,
    Node: process.version,
    libtorrent: libtorrent.code === 0 ? libtorrent.stdout.trim() : 'not available',
    '@p2p/lab': pkg.version,
    commit: commit.code === 0 ? commit.stdout.trim() : 'not a git checkout',
    command,
  }
}

/**
 * Prints `htmlPath` to `pdfPath` with headless Chromium. Resolves with an error message instead of
 * throwing (a report without its PDF is still a report).
 */
export async function exportPdf(htmlPath: string, pdfPath: string): Promise<string | undefined> {
  const profile = await mkdtemp(join(tmpdir(), 'p2p-lab-pdf-'))
  try {
    const r = await execQuiet(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        '--no-pdf-header-footer',
        `--print-to-pdf=${pdfPath}`,
        `file://${htmlPath}`,
      ],
      undefined,
      PROBE_TIMEOUT_MS,
    )
    return r.code === 0
      ? undefined
      : `chromium --print-to-pdf: ${r.stderr.trim().slice(-300) || `exit ${r.code}`}`
  } finally {
    await rm(profile, { recursive: true, force: true })
  }
}

/** Where {@link writeReportFiles} wrote the report. */
export interface ReportFiles {
  reportPath: string
  /** report.pdf, when it was printed. */
  pdfPath?: string
}

/**
 * Writes `html` to `<out>/report.html` and, when `pdf`, prints it to `<out>/report.pdf` (a failed print
 * is told to `note`, and the report stays without its PDF).
 */
export async function writeReportFiles(
  out: string,
  html: string,
  pdf: boolean,
  note: (line: string) => void,
): Promise<ReportFiles> {
  const reportPath = join(out, 'report.html')
  await writeFile(reportPath, html)
  if (!pdf) return { reportPath }
  const pdfPath = join(out, 'report.pdf')
  const failed = await exportPdf(reportPath, pdfPath)
  if (!failed) return { reportPath, pdfPath }
  note(`no PDF: ${failed}`)
  return { reportPath }
}
