using System.Buffers;
using System.Net.Sockets;
using Gateway.Listeners;

namespace Gateway.Sessions;

/// <summary>An accepted TCP connection. Each read becomes one <c>in</c> message.</summary>
internal sealed class TcpSession : Session
{
    private readonly Socket _socket;
    private readonly int _bufferSize;

    public TcpSession(DataPlane plane, GatewayListener listener, Socket socket)
        : base(plane, listener, EndpointText.Format(socket.RemoteEndPoint), EndpointText.Format(socket.LocalEndPoint))
    {
        _socket = socket;
        _bufferSize = plane.Options.Tcp.ReceiveBufferBytes;
    }

    /// <summary>
    /// Reads until the peer closes or the session is closed. An idle session holds no buffer: it waits
    /// with a zero-byte read and rents one only when data is there, keeping it while reads fill it.
    /// </summary>
    public async Task RunAsync()
    {
        var reason = "closed by peer";
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, Lifetime).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                }

                var read = await _socket.ReceiveAsync(buffer.AsMemory(0, _bufferSize), SocketFlags.None, Lifetime).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                RecordReceived(buffer.AsSpan(0, read));
                if (read < _bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Closed from our side: CloseAsync already holds the reason.
        }
        catch (SocketException ex)
        {
            reason = Describe(ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        await CloseAsync(reason).ConfigureAwait(false);
    }

    protected override async ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (!payload.IsEmpty)
        {
            var sent = await _socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            payload = payload[sent..];
        }
    }

    protected override void CloseTransport(bool abort)
    {
        if (abort)
        {
            // Linger 0: close sends RST instead of FIN.
            _socket.LingerState = new LingerOption(true, 0);
        }
        else
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already reset by the peer.
            }
        }

        _socket.Dispose();
    }
}
