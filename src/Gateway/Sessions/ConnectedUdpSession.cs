using System.Net.Sockets;
using Gateway.Listeners;

namespace Gateway.Sessions;

/// <summary>
/// An outbound UDP "connection": a socket connected to one server, so it receives only that server's
/// datagrams. Each datagram either way is one message.
/// </summary>
internal sealed class ConnectedUdpSession(DataPlane plane, ISessionOwner owner, Socket socket, SessionShape shape)
    : Session(plane, owner, shape)
{
    public async Task RunAsync()
    {
        var reason = "closed";
        var buffer = GC.AllocateUninitializedArray<byte>(UdpGatewayListener.MaxDatagram);
        try
        {
            while (true)
            {
                await WaitForCaptureAsync().ConfigureAwait(false);
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, Lifetime).ConfigureAwait(false);
                RecordReceived(buffer.AsSpan(0, read));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Closed from our side.
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            reason = "udp peer unreachable (ICMP port unreachable)";
        }
        catch (SocketException ex)
        {
            reason = Describe(ex);
        }

        await CloseAsync(reason).ConfigureAwait(false);
    }

    protected override async ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    protected override void CloseTransport(bool abort) => socket.Dispose();
}
