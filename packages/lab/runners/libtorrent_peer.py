"""A libtorrent peer for the swarm lab, speaking the same JSON lines as the lab's own peer runner.

Usage:
  /usr/bin/python3 libtorrent_peer.py '<json config>'     run a peer (events on stdout, commands on stdin)
  /usr/bin/python3 libtorrent_peer.py --create '<json>'   make a .torrent: {content, torrent, version, pieceLength}

Config: {torrent, dir, host, port, peers: ["ip:port"], trackers: [announce URL], seed, uploadLimit,
downloadLimit (bytes/s, 0 = none), strategy: "rarest"|"sequential", noIncoming, sampleMs, version,
superSeed (a seed super-seeds, BEP 16), portMapping (UPnP IGD and NAT-PMP), transports (["tcp"] by
default; "utp" turns uTP on both ways, and with it libtorrent's own ut_holepunch, BEP 55)}.
Commands (stdin, one JSON object a line): {"cmd": "connect", "peers": [...]}, {"cmd": "stop"}.
Events (stdout): ready, piece, progress, done, ban, error.
"""

import json
import os
import select
import sys
import time

import libtorrent as lt


# How long a piece's verdict waits for the block_finished alerts that name its senders.
VERDICT_WAIT_S = 1.0
# How long every byte may be downloaded with a piece still unverified before the files are rechecked.
STUCK_S = 5.0
MAX_RECHECKS = 3
# peer_info::utp_socket (libtorrent 2.0's peer_info.hpp: bit 17; the python binding does not export it).
UTP_SOCKET = 1 << 17


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def create(cfg):
    fs = lt.file_storage()
    lt.add_files(fs, cfg["content"])
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only}.get(cfg["version"], 0)
    ct = lt.create_torrent(fs, cfg["pieceLength"], flags=flags)
    ct.set_creator("p2p-lab")
    lt.set_piece_hashes(ct, os.path.dirname(cfg["content"]))
    data = lt.bencode(ct.generate())
    with open(cfg["torrent"], "wb") as f:
        f.write(data)
    info = lt.torrent_info(cfg["torrent"])
    emit({"type": "torrent", "pieceCount": info.num_pieces(), "pieceLength": info.piece_length(),
          "totalLength": info.total_size()})


def split(addr):
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


def main(cfg):
    settings = {
        "listen_interfaces": "" if cfg.get("noIncoming") else "%s:%d" % (cfg["host"], cfg["port"]),
        "enable_dht": False,
        "enable_lsd": bool(cfg.get("lsd")),
        "enable_upnp": bool(cfg.get("portMapping")),
        "enable_natpmp": bool(cfg.get("portMapping")),
        "enable_outgoing_utp": "utp" in (cfg.get("transports") or []),
        "enable_incoming_utp": "utp" in (cfg.get("transports") or []),
        "out_enc_policy": lt.enc_policy.disabled,
        "in_enc_policy": lt.enc_policy.enabled,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "max_failcount": 100,
        "upload_rate_limit": int(cfg.get("uploadLimit") or 0),
        "download_rate_limit": int(cfg.get("downloadLimit") or 0),
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.block_progress_notification
        | lt.alert.category_t.piece_progress_notification,
        "outgoing_interfaces": cfg["host"],
        "connections_limit": 200,
        "unchoke_slots_limit": 8,
        "smooth_connects": False,
        "connection_speed": 50,
        # libtorrent 2.0 hashes a finished piece on a hasher thread that reads the block from the store
        # buffer, so a hash failure can be handled before the block's disk write completes; the late
        # write completion then marks the block finished again in the restored piece, which is never
        # hashed again: the torrent sits at 100% without becoming a seed (seen with the corrupt peer,
        # 16 KiB pieces). Hash jobs on the one disk thread run after the piece's writes, in order.
        "hashing_threads": 0,
        "aio_threads": 1,
    }
    if cfg.get("dhtBootstrap"):
        # A DHT node on the listen port joined through the lab's node only, with the settings of the
        # verified loopback set-up (lab nodes may share one address, 127.0.0.1 in the loopback fallback).
        settings.update({"enable_dht": True, "dht_bootstrap_nodes": ",".join(cfg["dhtBootstrap"]),
                         "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
                         "dht_prefer_verified_node_ids": False, "dht_ignore_dark_internet": False})
    ses = lt.session(settings)
    # LAN addresses (127.x, 10.x) fall into libtorrent's "local" peer class, which ignores the rate
    # limits: put every address into the global class so the limits apply in the loopback fallback.
    pf = lt.ip_filter()
    pf.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(pf)

    info = lt.torrent_info(cfg["torrent"])
    algorithm = "sha1" if cfg.get("version") == "v1" else "sha256"
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = cfg["dir"]
    params.trackers = list(cfg.get("trackers") or [])
    if cfg.get("superSeed"):
        params.flags |= lt.torrent_flags.super_seeding
    handle = ses.add_torrent(params)
    if cfg.get("strategy") == "sequential":
        handle.set_flags(lt.torrent_flags.sequential_download)
    shown = {k: v for k, v in settings.items() if k != "alert_mask"}
    shown["out_enc_policy"] = "disabled"
    shown["in_enc_policy"] = "enabled"
    shown["trackers"] = params.trackers
    shown["super_seeding"] = bool(cfg.get("superSeed"))
    emit({"type": "ready", "host": cfg["host"], "port": cfg["port"], "pieceCount": info.num_pieces(),
          "settings": shown})

    def connect(peers):
        for addr in peers:
            try:
                handle.connect_peer(split(addr))
            except Exception as err:  # a bad address must not end the peer
                emit({"type": "warning", "message": str(err)})

    connect(cfg.get("peers", []))
    block_size = 16 * 1024
    blocks = {}  # piece -> {block index: "ip:port" of the sender}
    verdicts = {}  # piece -> (ok, emit deadline): waiting for the block_finished alerts of the piece
    checking = True  # pieces libtorrent finds on disk while checking files were not transferred
    done = False
    sample_s = cfg.get("sampleMs", 250) / 1000.0
    next_sample = 0.0
    stuck = None  # (missing pieces, since) while every byte is there but some piece is not verified
    rechecks = 0
    seen = {}  # "ip:port" of every peer connected so far -> most bytes downloaded from it
    holepunched = set()  # peers connected through a BEP 55 holepunch (libtorrent's own ut_holepunch)

    def report(index):
        ok, _ = verdicts.pop(index)
        senders = blocks.pop(index, {})
        emit({"type": "piece", "index": index, "ok": ok, "algorithm": algorithm,
              "peers": sorted(set(senders.values()))})

    def all_blocks_in(index):
        return len(blocks.get(index, {})) >= -(-info.piece_size(index) // block_size)

    def verdict(index, ok):
        # the block_finished alert of a piece's last block may come after its hash verdict (the write
        # completes after the hash): wait for all of them, or at most VERDICT_WAIT_S
        if index in verdicts:
            report(index)  # an earlier attempt at this piece: log it before the new one
        verdicts[index] = (ok, time.monotonic() + VERDICT_WAIT_S)
        if all_blocks_in(index):
            report(index)

    next_dht = 0.0
    while True:
        if cfg.get("dhtBootstrap") and time.monotonic() >= next_dht:
            # A torrent added before the DHT bootstrapped is not looked up until its next announce
            # (minutes away): ask again every 2 s while it has no peer.
            next_dht = time.monotonic() + 2
            if handle.status().num_peers == 0:
                handle.force_dht_announce()
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        if ready:
            line = sys.stdin.readline()
            if not line:
                break
            cmd = json.loads(line)
            if cmd.get("cmd") == "stop":
                break
            if cmd.get("cmd") == "connect":
                connect(cmd.get("peers", []))
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_checked_alert):
                checking = False
            elif isinstance(a, lt.block_finished_alert):
                blocks.setdefault(a.piece_index, {})[a.block_index] = "%s:%d" % (a.endpoint[0], a.endpoint[1])
                if a.piece_index in verdicts and all_blocks_in(a.piece_index):
                    report(a.piece_index)
            elif isinstance(a, lt.piece_finished_alert) and not checking:
                verdict(a.piece_index, True)
            elif isinstance(a, lt.hash_failed_alert):
                verdict(a.piece_index, False)
            elif isinstance(a, lt.peer_ban_alert):
                emit({"type": "ban", "peer": "%s:%d" % (a.endpoint[0], a.endpoint[1]), "reason": "hash failures"})
        now = time.monotonic()
        for index in [i for i, (_, deadline) in verdicts.items() if deadline <= now]:
            report(index)
        if now >= next_sample:
            next_sample = now + sample_s
            s = handle.status()
            if not done and s.is_seeding:
                for index in list(verdicts):
                    report(index)
                done = True
                emit({"type": "done"})
            # Safety net for the libtorrent race above: every byte downloaded, a piece never verified.
            # Recheck the files (the stuck piece holds the corrupt block) and say so in the log.
            if not s.is_seeding and not checking and s.total_wanted_done == s.total_wanted:
                missing = [i for i, have in enumerate(s.pieces) if not have]
                if stuck is None or stuck[0] != missing:
                    stuck = (missing, now)
                elif now - stuck[1] > STUCK_S and rechecks < MAX_RECHECKS:
                    rechecks += 1
                    emit({"type": "warning", "message": "libtorrent: pieces %s downloaded but never verified "
                          "for %.0f s: rechecking the files" % (missing, now - stuck[1])})
                    checking = True
                    stuck = None
                    handle.force_recheck()
            else:
                stuck = None
            utp_peers = 0
            for p in handle.get_peer_info():
                if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
                    continue  # not connected yet (a dial that may fail)
                if p.flags & lt.peer_info.holepunched:
                    holepunched.add("%s:%d" % (p.ip[0], p.ip[1]))
                addr = "%s:%d" % (p.ip[0], p.ip[1])
                # a connection that moved nothing still counts (the NAT scenario counts connections)
                seen[addr] = max(seen.get(addr, 0), p.total_download)
                if p.flags & UTP_SOCKET:
                    utp_peers += 1
            emit({"type": "progress", "progress": s.progress, "downloaded": s.total_wanted_done,
                  "uploaded": s.all_time_upload, "downloadSpeed": s.download_payload_rate,
                  "uploadSpeed": s.upload_payload_rate, "peers": s.num_peers, "utpPeers": utp_peers,
                  "from": seen, "holepunched": len(holepunched)})
    ses.pause()


if __name__ == "__main__":
    try:
        if sys.argv[1] == "--create":
            create(json.loads(sys.argv[2]))
        else:
            main(json.loads(sys.argv[1]))
    except KeyboardInterrupt:
        pass
    except Exception as err:
        emit({"type": "error", "message": repr(err)})
        sys.exit(1)
