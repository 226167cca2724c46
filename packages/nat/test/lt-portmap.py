#!/usr/bin/python3
"""libtorrent's own UPnP or NAT-PMP mapper as a reference client, run in the LAN namespace of
port-mapping.interop.test.ts. usage: lt-portmap.py upnp|natpmp LAN_IP PORT; prints RESULT PASS|FAIL."""
import libtorrent as lt, sys, time
method, ip, port = sys.argv[1], sys.argv[2], sys.argv[3]
s = lt.session({'listen_interfaces': '%s:%s' % (ip, port), 'enable_dht': False, 'enable_lsd': False,
                'enable_upnp': method == 'upnp', 'enable_natpmp': method == 'natpmp',
                'alert_mask': lt.alert.category_t.port_mapping_notification | lt.alert.category_t.error_notification})
t0 = time.time(); ok = False
while time.time() - t0 < 15 and not ok:
    for a in s.pop_alerts():
        if type(a).__name__ in ('portmap_alert', 'portmap_error_alert'):
            print('%.2fs %s' % (time.time() - t0, a.message()), flush=True)
        if type(a).__name__ == 'portmap_alert':
            ok = True
    time.sleep(0.1)
print('RESULT', 'PASS' if ok else 'FAIL', method, flush=True)
