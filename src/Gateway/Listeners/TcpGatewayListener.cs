using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Sessions;

namespace Gateway.Listeners;

/// <summary>Accepts TCP connections; each one is a <see cref="TcpSession"/>.</summary>
internal sealed class TcpGatewayListener(DataPlane plane, ListenerOptions options)
    : GatewayListener(plane, options, ListenerProtocol.Tcp)
{
    protected override Socket CreateSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp);

    protected override void OnBound(Socket socket) => socket.Listen(Plane.Options.Tcp.Backlog);

    protected override async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await Socket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection that died between SYN and accept, or fd exhaustion: keep accepting.
                ListenerLog.AcceptFailed(Logger, Name, ex.SocketErrorCode.ToString());
                continue;
            }

            client.NoDelay = true;
            var session = new TcpSession(Plane, this, client);
            session.Start();
            _ = session.RunAsync();
        }
    }
}
