using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Connections;
using Gateway.Faults;
using Gateway.Listeners;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// A relay listener's client paired with its own connection to the upstream server. Bytes are copied both
/// ways in order and unchanged, each direction cut into messages by the listener's framing on its own
/// (<c>in</c> = client→upstream, <c>out</c> = upstream→client); every message passes the listener's rules
/// and faults (RelaySession.Messages.cs). A FIN from either side is passed on after what was already read,
/// and the session closes when both directions are done or either fails. Injections can reach either side;
/// a lock per direction keeps them whole between relayed messages.
/// </summary>
internal sealed partial class RelaySession : Session
{
    private readonly Socket _client;
    private readonly Func<Stream, CancellationToken, Task<Stream>>? _handshake;
    private readonly TaskCompletionSource<Stream> _clientReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Stream _clientStream;
    private readonly DialTarget _target;
    private readonly int _bufferSize;
    private readonly SemaphoreSlim _toClient = new(1, 1);
    private readonly SemaphoreSlim _toUpstream = new(1, 1);
    private readonly HoldLane _inLane;
    private readonly HoldLane _outLane;
    private readonly Framing.IFrameParser? _parser;
    private readonly TaskCompletionSource<(DialedConnection Dialed, Stream Stream)> _upstream = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="handshake">Terminates the client's TLS (the relay then sees and forwards plaintext); null: none.</param>
    public RelaySession(DataPlane plane, ISessionOwner owner, Socket client, SessionShape shape, DialTarget upstream,
        Func<Stream, CancellationToken, Task<Stream>>? handshake = null)
        : base(plane, owner, shape)
    {
        _client = client;
        _handshake = handshake;
        _clientStream = new NetworkStream(client, ownsSocket: false);
        if (handshake is null)
        {
            _clientReady.SetResult(_clientStream);
        }

        _target = upstream;
        _bufferSize = plane.Options.Tcp.ReceiveBufferBytes;
        _inLane = new HoldLane(plane.Options.Intercept.MaxHeldPerSession, plane.Held.Budget);
        _outLane = new HoldLane(plane.Options.Intercept.MaxHeldPerSession, plane.Held.Budget);
        // Parsers keep no state of their own (it is all in the buffer they are given): one serves both directions.
        _parser = Format.CreateParser(plane.Options.Framing.MaxFrameBytes);
    }

    public override bool CanSendTo(SendTarget target) => true;

    /// <summary>
    /// Terminates the client's TLS when the listener does (a failure closes the session saying so), connects
    /// upstream (the client's SNI as the upstream's server name unless <c>upstreamTls.serverName</c> says
    /// otherwise; a failure closes the client with the reason), then relays until done.
    /// </summary>
    public async Task RunAsync()
    {
        var target = _target;
        if (_handshake is not null)
        {
            if (await OpenClientTlsAsync().ConfigureAwait(false) is not { } ssl)
            {
                return;
            }

            if (target.Tls is { ServerName: null } upstreamTls && !string.IsNullOrEmpty(ssl.TargetHostName))
            {
                target = target with { Tls = upstreamTls with { ServerName = ssl.TargetHostName } };
            }
        }

        DialedConnection dialed;
        try
        {
            dialed = await Dialer.DialAsync(target, TimeSpan.FromSeconds(Plane.Options.Outbound.ConnectTimeoutSeconds), Lifetime)
                .ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            await CloseAsync($"upstream unreachable: {ex.Message}").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return; // closed while connecting
        }

        Stream upstream = dialed.Tls is { } tls ? tls : new NetworkStream(dialed.Socket, ownsSocket: false);
        _upstream.TrySetResult((dialed, upstream));
        if (Lifetime.IsCancellationRequested)
        {
            CloseUpstream(dialed, abort: true); // closed while connecting: CloseTransport did not see this leg
            return;
        }

        var up = PumpAsync(_clientStream, _client, upstream, Direction.In, _toUpstream, () => HalfCloseAsync(upstream, dialed.Socket), "client", "upstream");
        var down = PumpAsync(upstream, dialed.Socket, _clientStream, Direction.Out, _toClient, () => HalfCloseAsync(_clientStream, _client), "upstream", "client");
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if (await first.ConfigureAwait(false) is { } failure)
        {
            await CloseAsync(failure, abort: true).ConfigureAwait(false);
            return;
        }

        // One side finished sending and the FIN was passed on; the other direction may still be talking.
        var second = await (first == up ? down : up).ConfigureAwait(false);
        await CloseAsync(second ?? (first == up ? "closed by client" : "closed by upstream"), abort: second is not null).ConfigureAwait(false);
    }

    protected override async ValueTask DeliverAsync(byte[] payload, SendTarget target, CancellationToken cancellationToken)
    {
        if (target == SendTarget.Upstream)
        {
            var (_, stream) = await _upstream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await WriteAsync(stream, _toUpstream, Direction.In, payload, payload, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var client = await _clientReady.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await WriteAsync(client, _toClient, Direction.Out, payload, payload, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _clientStream.WriteAsync(payload, cancellationToken);

    protected override void CloseTransport(bool abort)
    {
        Plane.Held.Forget(this);
        _inLane.Release();
        _outLane.Release();
        if (_clientStream is SslStream clientTls)
        {
            clientTls.Dispose();
        }

        CloseSocket(_client, abort);
        if (_upstream.Task.IsCompletedSuccessfully)
        {
            CloseUpstream(_upstream.Task.Result.Dialed, abort);
        }
    }

    /// <summary>
    /// The client's TLS handshake, within <c>Gateway:Tls:HandshakeTimeoutSeconds</c>. A client that does not
    /// start with a TLS record, or a handshake that fails, closes the session with a reason naming the client.
    /// </summary>
    private async Task<SslStream?> OpenClientTlsAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Lifetime);
        timeout.CancelAfter(TimeSpan.FromSeconds(Plane.Options.Tls.HandshakeTimeoutSeconds));
        string? failure;
        try
        {
            var first = new byte[1];
            var peeked = await _client.ReceiveAsync(first, SocketFlags.Peek, timeout.Token).ConfigureAwait(false);
            failure = peeked == 0 ? "client closed before its TLS handshake"
                : first[0] != 0x16 ? $"client did not start TLS: its first byte is 0x{first[0]:x2}{(first[0] is >= 0x20 and < 0x7f ? $" '{(char)first[0]}'" : "")}, not a TLS handshake record (0x16)"
                : null;
            if (failure is null)
            {
                var ssl = (SslStream)await _handshake!(new NetworkStream(_client, ownsSocket: false), timeout.Token).ConfigureAwait(false);
                _clientStream = ssl;
                _clientReady.TrySetResult(ssl);
                return ssl;
            }
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or SocketException or OperationCanceledException)
        {
            if (Lifetime.IsCancellationRequested)
            {
                return null; // closed meanwhile: the reason is already given
            }

            failure = ex is OperationCanceledException
                ? $"client handshake failed: timed out after {Plane.Options.Tls.HandshakeTimeoutSeconds} s"
                : $"client handshake failed: {(ex.InnerException ?? ex).Message}";
        }

        await CloseAsync(failure, abort: true).ConfigureAwait(false);
        return null;
    }

    private static void CloseUpstream(DialedConnection dialed, bool abort)
    {
        dialed.Tls?.Dispose();
        CloseSocket(dialed.Socket, abort);
    }

    private static async Task HalfCloseAsync(Stream stream, Socket socket)
    {
        if (stream is SslStream ssl)
        {
            await ssl.ShutdownAsync().ConfigureAwait(false); // close_notify before the FIN
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}
