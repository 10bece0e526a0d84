# The chat server from the Python socket tutorial (../shared/seeds), repaired so that it runs: the
# original never bound, listened or replied. Useful to compare the gateway with the real thing.
import socket

host = ""
port = 12345
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
