#!/usr/bin/python3
"""One libtorrent peer with LSD only (no DHT, trackers, UPnP, NAT-PMP), run inside a namespace by
lsd.interop.test.ts. Creates a hybrid (v1 + v2) torrent, prints its hashes as JSON, then prints LSD
peers and connections as JSON lines until killed or the timeout.
usage: lt-lsd-node.py IP WORKDIR [timeout]"""
import json, os, sys, time
import libtorrent as lt

ip, wd = sys.argv[1:3]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60
s = lt.session({
    'listen_interfaces': '%s:6881' % ip,
    'enable_lsd': True, 'enable_dht': False, 'enable_upnp': False, 'enable_natpmp': False,
    'local_service_announce_interval': 5,  # seconds (default 300)
    'enable_outgoing_utp': False,  # the peer it finds listens on TCP only
    'alert_mask': lt.alert.category_t.all_categories,
})
os.makedirs(wd, exist_ok=True)
with open(os.path.join(wd, 'f.bin'), 'wb') as f:
    f.write(os.urandom(1 << 20))
fs = lt.file_storage(); lt.add_files(fs, os.path.join(wd, 'f.bin'))
ct = lt.create_torrent(fs, 256 * 1024)  # libtorrent 2.0: hybrid v1 + v2 by default
lt.set_piece_hashes(ct, wd)
ti = lt.torrent_info(ct.generate())
hashes = ti.info_hashes()
print(json.dumps({'event': 'torrent', 'v1': str(hashes.v1), 'v2': str(hashes.v2)[:40]}), flush=True)
atp = lt.add_torrent_params(); atp.ti = ti; atp.save_path = os.path.join(wd, 'empty')  # a leecher: it dials
h = s.add_torrent(atp)
t0 = time.time()
while time.time() - t0 < timeout:
    for a in s.pop_alerts():
        n = type(a).__name__
        if n in ('lsd_peer_alert', 'peer_connect_alert', 'peer_disconnected_alert', 'lsd_error_alert') or \
                (n == 'log_alert' and 'lsd' in a.message().lower()):
            ep = getattr(a, 'endpoint', None) or getattr(a, 'ip', None)
            print(json.dumps({'event': n, 'peer': str(ep), 'message': a.message()}), flush=True)
    time.sleep(0.1)
