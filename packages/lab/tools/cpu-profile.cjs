// Profiles the lab's peer processes (ours): preload it with
//   P2P_LAB_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--require $PWD/packages/lab/tools/cpu-profile.cjs" p2p lab ...
// (node refuses --cpu-prof in NODE_OPTIONS). Every `peer-runner` process the lab starts samples its
// CPU (1 ms interval) and writes peer-<pid>.cpuprofile into P2P_LAB_PROFILE_DIR when it exits; other
// node processes (the lab itself, the tracker) are left alone. Open the files in Chrome DevTools or
// sum them with tools/profile-summary.mjs.
const dir = process.env.P2P_LAB_PROFILE_DIR
if (dir && (process.argv[1] ?? '').includes('peer-runner')) {
  const { Session } = require('node:inspector')
  const { writeFileSync } = require('node:fs')
  const { join } = require('node:path')
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  let written = false
  process.on('exit', () => {
    if (written) return
    written = true
    // The inspector answers a session of the same thread synchronously, so this runs before exit.
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `peer-${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  })
}
