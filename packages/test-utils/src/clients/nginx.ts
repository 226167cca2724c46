import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS } from '../components.js'
import { type Child, freePort, spawnChild, startOnFreePort, tempDir } from '../process.js'

/** A running nginx serving a directory over HTTP on 127.0.0.1, and how to stop it. */
export interface Nginx {
  /** `http://127.0.0.1:<port>/`, the served directory's root. */
  url: string
  child: Child
  /** The access log (one line per request, with the `Range` header and the status). */
  accessLog: string
  /** Stops nginx (bounded) and removes its directory. */
  stop(): Promise<void>
}

/**
 * Starts Debian's nginx in the foreground on a free port of 127.0.0.1, serving `root` (byte ranges
 * on), with a generated config, pid file and logs in a temp dir (`-p`/`-c`): nothing of the system's
 * nginx is used. Call `requireComponents(ctx, COMPONENTS.nginx)` first.
 */
export async function startNginx(
  root: string,
  options: {
    timeoutMs?: number
    /** Bytes per second nginx sends on each connection (its `limit_rate`; default unlimited). */
    limitRate?: number
  } = {},
): Promise<Nginx> {
  const dir = await tempDir('p2p-nginx-')
  try {
    const accessLog = join(dir.path, 'access.log')
    const conf = join(dir.path, 'nginx.conf')
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `  ${t}_temp_path ${join(dir.path, t)};`)
      .join('\n')
    const { child, port } = await startOnFreePort(
      'nginx',
      freePort,
      async (port) => {
        await writeFile(
          conf,
          `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(dir.path, 'nginx.pid')};
error_log ${join(dir.path, 'error.log')} warn;
events { worker_connections 64; }
http {
  log_format ranges '$request_method "$uri" "$http_range" $status $body_bytes_sent';
  access_log ${accessLog} ranges;
${temp}
  server {
    listen 127.0.0.1:${port};
    root ${root};
${options.limitRate ? `    limit_rate ${Math.max(1, Math.round(options.limitRate))};\n` : ''}  }
}
`,
        )
        return spawnChild(COMPONENTS.nginx.command, [
          '-p',
          dir.path,
          '-c',
          conf,
          '-e',
          join(dir.path, 'error.log'),
        ])
      },
      options.timeoutMs,
    )
    return {
      url: `http://127.0.0.1:${port}/`,
      child,
      accessLog,
      async stop() {
        await child.stop(2000)
        await dir.remove()
      },
    }
  } catch (err) {
    await dir.remove()
    throw err
  }
}
