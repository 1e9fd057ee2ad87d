#!/usr/bin/env python3
"""A peer for the QEMU firmware flows, on the Python `websockets` package
(its threaded API): an echo server for one client, or a client that runs
the firmware's script against an echo server. Exits 0 when the peer on the
other side did everything right, 1 otherwise.

    websockets_peer.py echo-server PORTFILE   # listens on 127.0.0.1, any port;
                                              # writes the port to PORTFILE
    websockets_peer.py client URL

The client sends what the firmware's client sends (embedded-adapter/
firmware/src/qemu/script.rs): texts of 0, 1, 125, 126 and 3000 bytes
made of characters of every UTF-8 length, a 70,000-byte binary message,
a Ping; it checks each echo and the Pong, then closes with 1000. Every
wait is bounded (30 s).
"""

import sys
import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import serve

TIMEOUT = 30
TEXT_LENS = [0, 1, 125, 126, 3000]
BINARY_LEN = 70_000
PING = b"ping from the websockets peer"


def text(length):
    """A text of `length` UTF-8 bytes: a, e-acute, euro, grinning face in
    turn while the next fits, then a's."""
    out, size = [], 0
    chars = ["a", "\u00e9", "\u20ac", "\U0001f600"]
    i = 0
    while size + len(chars[i % 4].encode()) <= length:
        out.append(chars[i % 4])
        size += len(chars[i % 4].encode())
        i += 1
    return "".join(out) + "a" * (length - size)


def binary():
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(BINARY_LEN))


def echo_server(portfile):
    result = {}

    def handler(ws):
        count = 0
        try:
            for message in ws:
                ws.send(message)
                count += 1
        except ConnectionClosed:
            pass
        frame = ws.protocol.close_rcvd
        result["code"] = frame.code if frame else None
        result["count"] = count
        threading.Thread(target=server.shutdown).start()

    with serve(handler, "127.0.0.1", 0, max_size=None, open_timeout=TIMEOUT,
               close_timeout=TIMEOUT) as server:
        with open(portfile, "w") as f:
            f.write(str(server.socket.getsockname()[1]))
        timer = threading.Timer(120, server.shutdown)
        timer.start()
        server.serve_forever()
        timer.cancel()
    print(f"websockets echo server: {result.get('count')} messages echoed, "
          f"the client closed with {result.get('code')}")
    return 0 if result.get("code") == 1000 else 1


def client(url):
    with connect(url, max_size=None, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        for length in TEXT_LENS:
            sent = text(length)
            ws.send(sent)
            echo = ws.recv(timeout=TIMEOUT)
            if echo != sent:
                print(f"websockets client: the echo of the {length}-byte text differs")
                return 1
        sent = binary()
        ws.send(sent)
        echo = ws.recv(timeout=TIMEOUT)
        if echo != sent:
            print("websockets client: the echo of the binary message differs")
            return 1
        pong = ws.ping(PING)
        if not pong.wait(TIMEOUT):
            print("websockets client: no Pong for the Ping")
            return 1
        ws.close(1000)
        frame = ws.protocol.close_rcvd
    code = frame.code if frame else None
    print(f"websockets client: {len(TEXT_LENS) + 1} echoes and the Pong checked, "
          f"the server closed with {code}")
    return 0 if code == 1000 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "echo-server":
        sys.exit(echo_server(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        sys.exit(client(sys.argv[2]))
    sys.exit(__doc__)
