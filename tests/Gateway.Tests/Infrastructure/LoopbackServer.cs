using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>A plain TCP server on a free loopback port, for the gateway to connect out to.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public LoopbackServer(int backlog = 16)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Listen(backlog);
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The next accepted connection (start waiting before the gateway connects).</summary>
    public Task<Socket> AcceptAsync() => _socket.AcceptAsync();

    /// <summary>A client connected to <paramref name="relayPort"/> (a gateway relay to this server), and the connection the relay made here.</summary>
    public async Task<(Socket Client, Socket Server)> ConnectThroughAsync(int relayPort)
    {
        var accepting = AcceptAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, relayPort).Within();
        return (client, await accepting.Within());
    }

    public void Dispose() => _socket.Dispose();
}
