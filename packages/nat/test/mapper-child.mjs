// Runs inside the LAN namespace of port-mapping.interop.test.ts: a TCP listener on the internal port and
// a PortMapper (built dist) for it. Prints one JSON line per event; closes the mapper on "close" from stdin.
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { PortMapper } from '../dist/index.js'

const { internalPort, method, gateway } = JSON.parse(process.argv[2])
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`)
const server = createServer((c) => c.end(`hello from ${internalPort}\n`))
server.listen(internalPort, () => say({ event: 'listening' }))
const mapper = new PortMapper({ internalPort, methods: [method], gateway, lifetime: 600 })
for (const event of [
  'method',
  'external-address',
  'mapped',
  'renewed',
  'expired',
  'unmapped',
  'gateway-restarted',
]) {
  mapper.on(event, (arg) => say({ event, arg }))
}
mapper.on('failed', (err) => say({ event: 'failed', code: err.code, message: err.message }))
mapper.start().then(
  () => say({ event: 'started' }),
  (err) => say({ event: 'start-failed', code: err.code, message: err.message }),
)
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() !== 'close') return
  await mapper.close()
  say({ event: 'closed' })
  server.close()
  process.exit(0)
})
