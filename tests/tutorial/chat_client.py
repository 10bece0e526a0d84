# The chat client from the Python socket tutorial (../shared/seeds), repaired so that it runs: the
# original never called connect() or send(). Otherwise unchanged: same host, same port, same prompts.
# Against the gateway on its defaults:  python3 tests/tutorial/chat_client.py
# (an optional first argument overrides the port, for the tests).
import socket
import sys

host = ''
port = int(sys.argv[1]) if len(sys.argv) > 1 else 12345
obj = socket.socket()
obj.connect((host, port))
message = input("type message: ")
while message != 'q':
    obj.send(message.encode())
    data = obj.recv(1024).decode()
    print('Received from server: ' + data)
    message = input("type message: ")
obj.close()
