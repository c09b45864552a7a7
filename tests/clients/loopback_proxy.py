"""A CONNECT proxy on loopback that lets through only the simulator's host:port and refuses every
other host (403), so that a client which retries against Salesforce's public hosts on its own
(the Salesforce CLI does) sends nothing off loopback. Prints its port on stdout, then serves.
Usage: python3 loopback_proxy.py ALLOWED_PORT"""

import select
import socket
import sys
import threading

ALLOWED_HOSTS = {"localhost", "127.0.0.1"}


def pipe(a, b):
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 60)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        a.close()
        b.close()


def handle(conn, allowed_port, refused):
    try:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        ok = False
        if len(parts) >= 2 and parts[0] == "CONNECT":
            host, _, port = parts[1].rpartition(":")
            ok = host.strip("[]") in ALLOWED_HOSTS and port == str(allowed_port)
        if not ok:
            refused.append(line)
            sys.stderr.write(f"loopback proxy refused: {line}\n")
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
            return
        sys.stderr.write(f"loopback proxy tunnelled: {line}\n")
        upstream = socket.create_connection(("127.0.0.1", allowed_port))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipe(conn, upstream)
    except OSError:
        conn.close()


def main():
    allowed_port = int(sys.argv[1])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print(srv.getsockname()[1], flush=True)
    refused = []
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, allowed_port, refused), daemon=True).start()


if __name__ == "__main__":
    main()
