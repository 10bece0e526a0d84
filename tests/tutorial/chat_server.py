# The chat server from the Python socket tutorial (../shared/seeds), repaired so that it runs: the
# original never bound, listened or replied. Otherwise unchanged. The gateway connects to it with
#   curl -X POST 127.0.0.1:5080/api/connections -H 'content-type: application/json' -d '{"host":"127.0.0.1","port":12345}'
# (run it on another port while the gateway holds 12345: optional arguments set the port and the host,
# which the tests set to 127.0.0.1 so that nothing binds beyond loopback).
import socket
import sys

host = sys.argv[2] if len(sys.argv) > 2 else ""
port = int(sys.argv[1]) if len(sys.argv) > 1 else 12345
server = socket.socket()
server.bind((host, port))
server.listen(1)
cs, addr = server.accept()
print("Connection from: " + str(addr))
while True:
    data = cs.recv(1024).decode()
    if not data:
        break
    print("from connected user: " + str(data))
    data = input("type message: ")
    cs.send(data.encode())
cs.close()
