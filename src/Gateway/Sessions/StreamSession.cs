using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Framing;

namespace Gateway.Sessions;

/// <summary>
/// A connected stream socket: TCP or Unix, accepted or outbound, optionally inside TLS (the messages are
/// then the decrypted bytes). Raw framing makes each read one <c>in</c> message; other framings cut the
/// stream with an <see cref="IFrameParser"/>.
/// </summary>
internal sealed class StreamSession : Session
{
    private readonly Socket _socket;
    private readonly Func<Stream, CancellationToken, Task<Stream>>? _handshake;
    private readonly IFrameParser? _parser;
    private readonly int _bufferSize;
    private readonly TaskCompletionSource<Stream> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="stream">An already usable stream (e.g. outbound TLS after its handshake); default: the socket itself.</param>
    /// <param name="handshake">Turns the socket's stream into the one to use (server-side TLS); failure closes the session.</param>
    public StreamSession(DataPlane plane, ISessionOwner owner, Socket socket, SessionShape shape,
        Stream? stream = null, Func<Stream, CancellationToken, Task<Stream>>? handshake = null)
        : base(plane, owner, shape)
    {
        _socket = socket;
        _handshake = handshake;
        _bufferSize = plane.Options.Tcp.ReceiveBufferBytes;
        _parser = Format.CreateParser(plane.Options.Framing.MaxFrameBytes);
        if (stream is not null)
        {
            _ready.SetResult(stream);
        }
    }

    public override string? CheckPayload(byte[] payload) => _parser is not null && payload.Length > _parser.MaxPayload
        ? $"This session uses {Framing.ToString().ToLowerInvariant()} framing: the payload of {payload.Length} bytes does not fit one frame (at most {_parser.MaxPayload})."
        : null;

    /// <summary>Runs the TLS handshake if there is one, then reads until the peer closes or the session is closed.</summary>
    public async Task RunAsync()
    {
        var reason = "closed by peer";
        var abort = false;
        try
        {
            var stream = await OpenAsync().ConfigureAwait(false);
            if (stream is null)
            {
                return; // the handshake failed and closed the session
            }

            if (_parser is null)
            {
                await ReadRawAsync(stream).ConfigureAwait(false);
            }
            else
            {
                await ReadFramedAsync(stream, _parser).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Closed from our side: CloseAsync already holds the reason.
        }
        catch (FrameTooLargeException ex)
        {
            reason = $"framing error: {ex.Message}";
        }
        catch (Exception ex) when (SocketErrorOf(ex) is { } socketError)
        {
            reason = Describe(socketError);
        }
        catch (IOException ex)
        {
            reason = $"i/o error: {ex.Message}";
            abort = true;
        }

        await CloseAsync(reason, abort).ConfigureAwait(false);
    }

    protected override async ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var stream = await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var wire = _parser is null ? payload : _parser.Encode(payload.ToArray());
        await stream.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
    }

    protected override void CloseTransport(bool abort)
    {
        CloseSocket(_socket, abort);
        if (_ready.Task.IsCompletedSuccessfully)
        {
            _ready.Task.Result.Dispose();
        }
    }

    private async Task<Stream?> OpenAsync()
    {
        if (_ready.Task.IsCompleted)
        {
            return await _ready.Task.ConfigureAwait(false);
        }

        Stream stream = new NetworkStream(_socket, ownsSocket: false);
        if (_handshake is not null)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Lifetime);
                timeout.CancelAfter(TimeSpan.FromSeconds(Plane.Options.Tls.HandshakeTimeoutSeconds));
                stream = await _handshake(stream, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
            {
                if (Lifetime.IsCancellationRequested)
                {
                    throw;
                }

                var why = ex is OperationCanceledException ? "timed out" : (ex.InnerException ?? ex).Message;
                await CloseAsync($"tls handshake failed: {why}", abort: true).ConfigureAwait(false);
                return null;
            }
        }

        if (stream is System.Net.Security.SslStream ssl)
        {
            SetTls(Gateway.Tls.ClientTlsInfo.Of(ssl), null);
        }

        _ready.TrySetResult(stream);
        return stream;
    }

    /// <summary>
    /// One message per read. An idle session holds no buffer: it waits with a zero-byte read and rents
    /// one only when data is there, keeping it while reads fill it.
    /// </summary>
    private async Task ReadRawAsync(Stream stream)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                await WaitForCaptureAsync().ConfigureAwait(false);
                if (buffer is null)
                {
                    await stream.ReadAsync(Memory<byte>.Empty, Lifetime).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(0, _bufferSize), Lifetime).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                RecordReceived(buffer.AsSpan(0, read));
                if (read < _bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The standard pipe loop: read, cut frames, advance; an incomplete tail is recorded at close.</summary>
    private async Task ReadFramedAsync(Stream stream, IFrameParser parser)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(
            bufferSize: _bufferSize, minimumReadSize: Math.Min(4096, _bufferSize), leaveOpen: true, useZeroByteReads: true));
        try
        {
            while (true)
            {
                await WaitForCaptureAsync().ConfigureAwait(false);
                var result = await reader.ReadAsync(Lifetime).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (parser.TryRead(ref buffer, out var frame))
                    {
                        RecordReceived(frame);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (!buffer.IsEmpty)
                        {
                            RecordReceived(buffer);
                            buffer = buffer.Slice(buffer.End);
                        }

                        return;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
