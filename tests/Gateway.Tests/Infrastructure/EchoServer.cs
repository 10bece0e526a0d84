using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A loopback TCP server that echoes every connection's bytes back, passes the client's FIN on once it
/// has echoed everything, and counts its connections. The relay tests' upstream.
/// </summary>
internal sealed class EchoServer : IDisposable
{
    private readonly LoopbackServer _server = new(backlog: 512);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public EchoServer() => _ = AcceptLoopAsync();

    public int Port => _server.Port;

    public int Connections => Volatile.Read(ref _connections);

    public void Dispose()
    {
        _stop.Cancel();
        _server.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _server.AcceptAsync().WaitAsync(Timeout.InfiniteTimeSpan, _stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = EchoAsync(peer);
        }
    }

    private async Task EchoAsync(Socket peer)
    {
        using (peer)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var read = await peer.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        peer.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await peer.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The relay or the test went away.
            }
        }
    }
}
