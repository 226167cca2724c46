"""libtorrent peer for the transfer benchmark (Debian's /usr/bin/python3, libtorrent 2.0).

  lt-peer.py create <file> <out.torrent>              v1 torrent, 1 MiB pieces; prints the info hash
  lt-peer.py seed <torrent> <dir> <port>              seeds <dir>/<name> (seed mode); prints "ready"
  lt-peer.py leech <torrent> <dir> <port> <host:port> downloads from that peer; prints
                                                      {"done": seconds, "peakRssKiB": n} and exits
"""
import json, resource, sys, time
import libtorrent as lt

def session(port):
    # libtorrent's default settings (as the reference figures were measured), TCP only
    settings = {}
    settings.update({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'out_enc_policy': lt.enc_policy.disabled, 'in_enc_policy': lt.enc_policy.enabled,
        'alert_mask': 0,
        # TCP like the other pairs (libtorrent would otherwise try uTP first, ~15 MB/s on loopback)
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    })
    return lt.session(settings)

mode = sys.argv[1]
if mode == 'create':
    fs = lt.file_storage()
    lt.add_files(fs, sys.argv[2])
    ct = lt.create_torrent(fs, 2 ** 20, flags=lt.create_torrent.v1_only)
    import os
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(sys.argv[2])))
    data = lt.bencode(ct.generate())
    open(sys.argv[3], 'wb').write(data)
    print(str(lt.torrent_info(sys.argv[3]).info_hashes().v1))
    sys.exit(0)

ses = session(int(sys.argv[4]))
params = lt.add_torrent_params()
params.ti = lt.torrent_info(sys.argv[2])
params.save_path = sys.argv[3]
h = ses.add_torrent(params)
if mode == 'seed':
    while not h.status().is_seeding:
        time.sleep(0.05)
    print('ready', flush=True)
    while True:
        time.sleep(3600)
host, port = sys.argv[5].rsplit(':', 1)
t0 = time.monotonic()
h.connect_peer((host, int(port)))
while not h.status().is_seeding:
    time.sleep(0.02)
print(json.dumps({'done': time.monotonic() - t0,
                  'peakRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
