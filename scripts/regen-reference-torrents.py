#!/usr/bin/python3
"""Regenerates the reference torrents (packages/test-utils/fixtures/reference-torrents) with the tools
that made them: libtorrent (Debian's python3-libtorrent 2.0.8, hence /usr/bin/python3), mktorrent 1.1
and transmission-create 3.00, and checks that every .torrent matches the committed one byte for byte
and that every tool refuses the cases index.json says it refuses.

    /usr/bin/python3 scripts/regen-reference-torrents.py           # check (exit 1 on any difference)
    /usr/bin/python3 scripts/regen-reference-torrents.py --write   # overwrite the committed .torrent files

The cases (seed, files, which torrents) are read from index.json; the content of every file follows the
rule in that folder's README.md. The top-level `creation date` is removed from every torrent (it is
outside the info dict); everything else is the tools' own output.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import libtorrent as lt

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'test-utils', 'fixtures',
                   'reference-torrents')
PIECES = {'16k': 16384, '256k': 262144}
LT_FLAGS = {'lt_v1': lt.create_torrent.v1_only, 'lt_v2': lt.create_torrent.v2_only, 'lt_hybrid': 0}


def content(seed, path, size):
    """The content rule of the reference set (README.md)."""
    blocks = (hashlib.sha256(f'{seed}/{path}:{i}'.encode()).digest() for i in range((size + 31) // 32))
    return b''.join(blocks)[:size]


def without_creation_date(data):
    torrent = lt.bdecode(data)
    torrent.pop(b'creation date', None)
    return lt.bencode(torrent)


def make_lt(tool, piece, files, root, tracker):
    fs = lt.file_storage()
    for path, size in sorted(files, key=lambda f: f[0].encode()):
        fs.add_file(path, size)
    ct = lt.create_torrent(fs, piece, LT_FLAGS[tool])
    ct.add_tracker(tracker)
    lt.set_piece_hashes(ct, root)
    return lt.bencode(ct.generate())


def make_cli(tool, piece, files, root, tracker, out):
    target = os.path.join(root, files[0][0].split('/')[0])
    if tool == 'mktorrent':
        log2 = piece.bit_length() - 1
        cmd = ['mktorrent', '-d', '-l', str(log2), '-a', tracker, '-t', '1', '-o', out, target]
    else:
        cmd = ['transmission-create', '-o', out, '-t', tracker, '-s', str(piece // 1024), target]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if run.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f'rc={run.returncode} {run.stdout.strip()} {run.stderr.strip()}'.strip())
    with open(out, 'rb') as f:
        return f.read()


def make(tool, piece, case, root, tracker, out):
    """One torrent without its creation date, or the error that made the tool refuse."""
    try:
        if tool in LT_FLAGS:
            return without_creation_date(make_lt(tool, piece, case['files'], root, tracker)), None
        return without_creation_date(make_cli(tool, piece, case['files'], root, tracker, out)), None
    except Exception as error:  # the tool refused this case
        return None, error


def main():
    write = '--write' in sys.argv[1:]
    with open(os.path.join(REF, 'index.json')) as f:
        index = json.load(f)
    tracker = index['tracker']
    problems, made = [], 0
    with tempfile.TemporaryDirectory(prefix='p2p-reference-') as tmp, ThreadPoolExecutor(8) as pool:
        jobs = []
        for name, case in index['cases'].items():
            root = os.path.join(tmp, name)
            for path, size in case['files']:
                full = os.path.join(root, path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, 'wb') as f:
                    f.write(content(case['seed'], path, size))
            for key, expected in case['torrents'].items():
                tool, piece_name = key.split('-')
                out = os.path.join(tmp, f'{name}-{key}.torrent')
                # transmission-create idles ~0.5 s per run: the command-line tools run side by side
                job = pool.submit(make, tool, PIECES[piece_name], case, root, tracker, out)
                jobs.append((f'{name}/{key}', expected, job))
        for label, expected, job in jobs:
            data, error = job.result()
            if data is None:
                if expected['ok']:
                    problems.append(f'{label}: the tool failed ({error}); index.json expects a torrent')
                continue
            made += 1
            if not expected['ok']:
                problems.append(f'{label}: the tool made a torrent; index.json says it refuses')
                continue
            committed = os.path.join(REF, expected['file'])
            if write:
                with open(committed, 'wb') as f:
                    f.write(data)
                continue
            with open(committed, 'rb') as f:
                if f.read() != data:
                    problems.append(f'{expected["file"]}: differs from the regenerated torrent')
    for p in problems:
        print(p, file=sys.stderr)
    verb = 'wrote' if write else 'checked'
    print(f'reference torrents: {verb} {made}, {len(problems)} problem(s)')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
