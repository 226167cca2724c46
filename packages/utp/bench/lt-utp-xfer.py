"""Two libtorrent sessions on loopback transferring one file over uTP only (TCP disabled both ways).

usage: /usr/bin/python3 lt-utp-xfer.py SIZE_BYTES
Prints one JSON line: {"ok": bool, "seconds": transfer time, "cpu": process CPU seconds during it}.
The leecher re-issues connect_peer while it has no peer (a first uTP connect may not stick).
"""
import hashlib, json, os, resource, shutil, sys, tempfile, time

import libtorrent as lt

size = int(sys.argv[1])


def settings(ip):
    return {
        'listen_interfaces': '%s:0' % ip,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_outgoing_tcp': False, 'enable_incoming_tcp': False,
        'enable_outgoing_utp': True, 'enable_incoming_utp': True,
        'allow_multiple_connections_per_ip': True,
    }


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


tmp = tempfile.mkdtemp(prefix='utp-bench-lt-')
try:
    seed = lt.session(settings('127.0.0.2'))
    leech = lt.session(settings('127.0.0.3'))
    sd = os.path.join(tmp, 'seed')
    os.makedirs(sd)
    data = os.urandom(size)
    with open(os.path.join(sd, 'f.bin'), 'wb') as f:
        f.write(data)
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(sd, 'f.bin'))
    ct = lt.create_torrent(fs, 1 << 20)
    lt.set_piece_hashes(ct, sd)
    ti = lt.torrent_info(ct.generate())
    a = lt.add_torrent_params(); a.ti = ti; a.save_path = sd; a.flags |= lt.torrent_flags.seed_mode
    sh = seed.add_torrent(a)
    b = lt.add_torrent_params(); b.ti = lt.torrent_info(ti); b.save_path = os.path.join(tmp, 'leech')
    lh = leech.add_torrent(b)
    while not sh.status().is_seeding:
        time.sleep(0.02)
    peer = ('127.0.0.2', seed.listen_port())
    t0 = time.time(); c0 = cpu()
    lh.connect_peer(peer)
    last = t0
    while not lh.status().is_seeding and time.time() - t0 < 600:
        if not lh.get_peer_info() and time.time() - last > 2:
            lh.connect_peer(peer); last = time.time()
        time.sleep(0.01)
    seconds = time.time() - t0; used = cpu() - c0
    with open(os.path.join(tmp, 'leech', 'f.bin'), 'rb') as f:
        ok = hashlib.sha1(f.read()).digest() == hashlib.sha1(data).digest()
    print(json.dumps({'ok': ok, 'seconds': seconds, 'cpu': used}), flush=True)
finally:
    shutil.rmtree(tmp)
