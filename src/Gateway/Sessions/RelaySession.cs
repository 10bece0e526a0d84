using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Connections;
using Gateway.Tls;
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
    private readonly Func<Stream, List<SslApplicationProtocol>?, CancellationToken, Task<Stream>>? _handshake;
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
        Func<Stream, List<SslApplicationProtocol>?, CancellationToken, Task<Stream>>? handshake = null)
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
    /// Connects upstream, then relays until done. When the listener terminates TLS, its client's ClientHello
    /// comes first: the upstream is asked for the same name (SNI, unless <c>upstreamTls.serverName</c> says
    /// otherwise) and offered the same protocols (ALPN), and the client's handshake is then answered with the
    /// upstream's choice, so that what the two ends agree on is what they would have agreed on directly. A
    /// failure on either side closes the session with a reason that names the side.
    /// </summary>
    public async Task RunAsync()
    {
        var target = _target;
        (ClientHello Hello, byte[] Bytes)? read = null;
        if (_handshake is not null)
        {
            if ((read = await ReadClientHelloAsync().ConfigureAwait(false)) is null)
            {
                return;
            }

            if (target.Tls is { ServerName: null } upstreamTls && !string.IsNullOrEmpty(read.Value.Hello.ServerName))
            {
                target = target with { Tls = upstreamTls with { ServerName = read.Value.Hello.ServerName } };
            }
        }

        DialedConnection dialed;
        try
        {
            var offer = target.Tls is not null && read is { Hello.Protocols.Count: > 0 } hello
                ? hello.Hello.Protocols.Select(p => new SslApplicationProtocol(p)).ToList()
                : null;
            dialed = await Dialer.DialAsync(target, TimeSpan.FromSeconds(Plane.Options.Outbound.ConnectTimeoutSeconds), Lifetime, offer)
                .ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            await CloseAsync(ex.Title == Dialer.CertificateRejected ? $"upstream certificate rejected: {ex.Message}" : $"upstream unreachable: {ex.Message}",
                abort: read is not null).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return; // closed while connecting
        }

        ClientTlsInfo? clientTls = null;
        if (read is { } clientHello)
        {
            var chosen = dialed.Tls?.NegotiatedApplicationProtocol is { Protocol.IsEmpty: false } protocol ? new List<SslApplicationProtocol> { protocol } : null;
            if (await OpenClientTlsAsync(clientHello.Bytes, chosen).ConfigureAwait(false) is not { } ssl)
            {
                CloseUpstream(dialed, abort: true);
                return;
            }

            clientTls = ClientTlsInfo.Of(ssl);
        }

        if (clientTls is not null || dialed.TlsInfo is not null)
        {
            SetTls(clientTls, dialed.TlsInfo);
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
    /// Reads the client's ClientHello (within <c>Gateway:Tls:HandshakeTimeoutSeconds</c>), keeping its bytes
    /// for the handshake. A client that does not start with one closes the session with a reason naming the client.
    /// </summary>
    private async Task<(ClientHello Hello, byte[] Bytes)?> ReadClientHelloAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Lifetime);
        timeout.CancelAfter(TimeSpan.FromSeconds(Plane.Options.Tls.HandshakeTimeoutSeconds));
        var buffer = new byte[ClientHello.MaxBytes];
        var have = 0;
        string failure;
        try
        {
            while (true)
            {
                var read = await _client.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    failure = "client closed before its TLS handshake";
                    break;
                }

                have += read;
                if (ClientHello.TryParse(buffer.AsSpan(0, have), out _) is { } hello)
                {
                    return (hello, buffer[..have]);
                }
            }
        }
        catch (FormatException ex)
        {
            failure = buffer[0] != 0x16
                ? $"client did not start TLS: its first byte is 0x{buffer[0]:x2}{(buffer[0] is >= 0x20 and < 0x7f ? $" '{(char)buffer[0]}'" : "")}, not a TLS handshake record (0x16)"
                : $"client handshake failed: {ex.Message}";
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            if (Lifetime.IsCancellationRequested)
            {
                return null; // closed meanwhile: the reason is already given
            }

            failure = ex is OperationCanceledException
                ? $"client handshake failed: no ClientHello within {Plane.Options.Tls.HandshakeTimeoutSeconds} s"
                : $"client handshake failed: {Describe((SocketException)ex)}";
        }

        await CloseAsync(failure, abort: true).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Completes the client's TLS handshake (its ClientHello replayed from <paramref name="hello"/>), offering
    /// <paramref name="protocols"/> (the upstream's ALPN choice). A failure closes the session, naming the client.
    /// </summary>
    private async Task<SslStream?> OpenClientTlsAsync(byte[] hello, List<SslApplicationProtocol>? protocols)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Lifetime);
        timeout.CancelAfter(TimeSpan.FromSeconds(Plane.Options.Tls.HandshakeTimeoutSeconds));
        try
        {
            var ssl = (SslStream)await _handshake!(new PrefixedStream(hello, new NetworkStream(_client, ownsSocket: false)), protocols, timeout.Token).ConfigureAwait(false);
            _clientStream = ssl;
            _clientReady.TrySetResult(ssl);
            return ssl;
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or SocketException or OperationCanceledException)
        {
            if (!Lifetime.IsCancellationRequested)
            {
                await CloseAsync(ex is OperationCanceledException
                    ? $"client handshake failed: timed out after {Plane.Options.Tls.HandshakeTimeoutSeconds} s"
                    : $"client handshake failed: {DescribeClientFailure(ex)}", abort: true).ConfigureAwait(false);
            }

            return null;
        }
    }

    /// <summary>
    /// Why a client refused the handshake, in words: the TLS alert it sent is deep in the exception chain
    /// (OpenSSL's "tlsv1 alert unknown ca"), and an unknown CA means it does not trust the gateway CA.
    /// </summary>
    private static string DescribeClientFailure(Exception exception)
    {
        var chain = new List<string>();
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            chain.Add(ex.Message);
        }

        var all = string.Join(" ", chain);
        foreach (var alert in new[] { "unknown ca", "bad certificate", "certificate unknown", "certificate expired" })
        {
            if (all.Contains("alert " + alert, StringComparison.OrdinalIgnoreCase))
            {
                return $"the client does not trust the gateway CA (it sent the TLS alert \"{alert}\"): give it GET /api/tls/ca.pem";
            }
        }

        return chain[^1];
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
